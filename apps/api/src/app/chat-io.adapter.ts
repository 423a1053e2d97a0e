import type { Server as HttpServer } from 'node:http';
import { type INestApplicationContext, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Server, ServerOptions } from 'socket.io';
import { RedisKeys } from '../shared/redis/redis-keys';
import type { AppConfigService } from '../config/app-config.module';
import { Metrics } from '../metrics/metrics';
import { RedisConnection } from '../shared/redis/redis-connection';
import { ConnectionGate } from './connection-gate';
import { LeanIoAdapter } from './nestjs-platform-socket.io';
import { batchStreamPublishes } from './socket.io-redis-streams-adapter';

/**
 * How long a new transport may go without a CONNECT before it is closed. socket.io-client sends it
 * right after the transport opens (one round trip); socket.io's default of 45 s let an address
 * hold connections that never become sockets.
 */
export const CONNECT_TIMEOUT_MS = 5000;

/**
 * The socket.io server, configured from ConfigService: CORS, payload size, the connection gate
 * (Origin policy and connections per address), the connect timeout, and with `STORE=redis`
 * the Redis streams adapter, through which every node's broadcasts reach every other node's
 * sockets (rooms are per node; a broadcast to a room is applied by each node to its own sockets).
 *
 * The adapter's Redis clients come from RedisConnection, which closes them on shutdown after
 * everything else (the chat still announces through the adapter while it leaves); socket.io
 * closes the adapter itself (stops reading the stream) when the server closes. Message handlers
 * are bound without Nest's per-message rxjs chain (LeanIoAdapter).
 */
export class ChatIoAdapter extends LeanIoAdapter {
  private created: Server | undefined;

  constructor(private readonly app: INestApplicationContext) {
    super(app);
  }

  /** The socket.io server, once the app is initialised (the cluster worker hands it to sticky). */
  get server(): Server {
    if (!this.created)
      throw new Error('the socket.io server is not created yet');
    return this.created;
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const config = this.app.get<AppConfigService>(ConfigService);
    const corsOrigins = config.get('corsOrigins', { infer: true });
    const metrics = this.app.get(Metrics, { strict: false });
    const gate = new ConnectionGate(
      {
        maxPerAddress: config.get('maxConnectionsPerAddress', { infer: true }),
        trustProxy: config.get('trustProxy', { infer: true }),
        allowedOrigins: corsOrigins,
      },
      metrics,
    );
    const ours: Partial<ServerOptions> = {
      serveClient: false,
      // Frames above this are cut by engine.io before they are parsed.
      maxHttpBufferSize: config.get('maxPayloadBytes', { infer: true }),
      allowRequest: gate.allowRequest,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Only HTTP long-polling is subject to CORS; websocket upgrades are not.
      ...(corsOrigins.length > 0 && { cors: { origin: corsOrigins } }),
      ...(config.get('useRedis', { infer: true }) && {
        adapter: this.redisAdapter(
          config,
          Boolean(options?.connectionStateRecovery),
          metrics,
        ),
      }),
    };
    // socket.io itself takes Partial<ServerOptions>; Nest's signature says the whole type.
    const server = super.createIOServer(port, {
      ...options,
      ...ours,
    } as ServerOptions);
    gate.attach(server.engine);
    this.created = server;
    return server;
  }

  /**
   * Closes socket.io, then every HTTP connection still open. Without the second step a client that
   * keeps reconnecting over a kept-alive HTTP connection (long-polling) is served by the closing
   * server again and again, and shutdown never ends: `server.close()` waits for those connections.
   */
  override async close(server: Server): Promise<void> {
    const closed = super.close(server);
    // Once socket.io has stopped listening (same turn), drop what is left instead of waiting for it.
    setImmediate(() =>
      (server.httpServer as HttpServer | undefined)?.closeAllConnections(),
    );
    await closed;
  }

  /**
   * The streams adapter rather than the pub/sub one: a stream keeps what was published while a
   * node was cut off from Redis, and the node resumes reading where it stopped (README, "Redis").
   */
  private redisAdapter(
    config: AppConfigService,
    connectionStateRecovery: boolean,
    metrics: Metrics,
  ): ServerOptions['adapter'] {
    const redis = this.app.get(RedisConnection, { strict: false });
    const keys = this.app.get(RedisKeys, { strict: false });
    const factory = createAdapter(redis.createClient('socket.io adapter'), {
      streamName: keys.adapterStream,
      channelPrefix: keys.adapterChannelPrefix,
      sessionKeyPrefix: keys.adapterSessionPrefix,
      // A node that falls further behind than the stream's length misses broadcasts (they are
      // trimmed before it reads them): keep a deep stream, and catch up in large reads.
      maxLen: 200_000,
      readCount: 1_000,
    });
    // One stream entry per turn rather than per broadcast (see batchStreamPublishes), unless the
    // deployment still has nodes that cannot read them (REDIS_BATCH_BROADCASTS=false).
    const batchWrites = config.get('redisBatchBroadcasts', { infer: true });
    if (!batchWrites) {
      // The operator's confirmation of the upgrade's first step, and a reminder of the second.
      new Logger('ChatIoAdapter').warn(
        'REDIS_BATCH_BROADCASTS=false: one stream entry per broadcast (for a rolling upgrade; restart with the default once every node runs this version)',
      );
    }
    return batchStreamPublishes(factory, {
      batchWrites,
      connectionStateRecovery,
      onEntryRead: (offset) => metrics.adapterEntryRead(offset),
    }) as ServerOptions['adapter'];
  }
}
