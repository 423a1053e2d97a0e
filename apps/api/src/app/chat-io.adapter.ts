import type { Server as HttpServer } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { Server, ServerOptions } from 'socket.io';
import { RedisKeys } from '../shared/redis/redis-keys';
import type { AppConfigService } from '../config/app-config.module';
import { Metrics } from '../metrics/metrics';
import { RedisConnection } from '../shared/redis/redis-connection';
import { ConnectionGate } from './connection-gate';
import { LeanIoAdapter } from './nestjs-platform-socket.io';
import { Resync } from '../transport/resync';
import { shardedPerRoom } from './socket.io-redis-adapter';

/**
 * How long a new transport may go without a CONNECT before it is closed. socket.io-client sends it
 * right after the transport opens (one round trip); socket.io's default of 45 s let an address
 * hold connections that never become sockets.
 */
export const CONNECT_TIMEOUT_MS = 5000;

/**
 * The socket.io server, configured from ConfigService: CORS, payload size, the connection gate
 * (Origin policy and connections per address), the connect timeout, and with `STORE=redis`
 * the sharded Redis adapter, through which a node's broadcasts reach the other nodes' sockets
 * (rooms are per node; a broadcast to a room is applied by each node to its own sockets).
 *
 * The adapter's Redis clients come from RedisConnection, which closes them on shutdown after
 * everything else (the chat still announces through the adapter while it leaves); socket.io
 * closes the adapter itself (unsubscribes) when the server closes. Message handlers
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
        adapter: this.redisAdapter(),
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
   * The sharded Redis pub/sub adapter (Redis 7 SPUBLISH/SSUBSCRIBE): a channel per room, to which
   * a node subscribes while it has sockets in that room, so a node reads only the broadcasts for
   * its own sockets' rooms (a broadcast to several rooms is published once per room:
   * shardedPerRoom). Pub/sub keeps nothing for a node that is away: when its subscriber connection
   * comes back (and has subscribed again), the node's sockets re-sync from the stores (Resync).
   */
  private redisAdapter(): ServerOptions['adapter'] {
    const redis = this.app.get(RedisConnection, { strict: false });
    const keys = this.app.get(RedisKeys, { strict: false });
    const subscriber = redis.createSubscriber('socket.io adapter (subscriber)');
    const subscribed = () => bounded(redis.subscribed(subscriber));
    const adapter = shardedPerRoom(
      createShardedAdapter(
        redis.createClient('socket.io adapter'),
        subscriber,
        {
          channelPrefix: keys.adapterChannelPrefix,
          subscriptionMode: 'dynamic',
        },
      ),
      {
        subscribed,
        announce: {
          // A join that went on before another node acked: its sockets read the stores again.
          acknowledgedLate: (room) =>
            void this.app.get(Resync, { strict: false }).runRoom(room),
        },
      },
    );
    redis.onSubscriberBack(
      subscriber,
      () => {
        // Announced again before the re-sync reads the stores (as a join reads history after).
        void subscribed()
          .then(() => adapter.linkBack())
          .then(() => this.app.get(Resync, { strict: false }).run());
      },
      () => adapter.linkLost(),
    );
    return adapter as ServerOptions['adapter'];
  }
}

/** How long joining a room waits for its subscription before going on (Redis away). */
const SUBSCRIBE_WAIT_MS = 2000;

/** `work`, or nothing after SUBSCRIBE_WAIT_MS; never rejects. */
function bounded(work: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}
