import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { redactUrl, type AppConfig } from '../../config/app-config';
import {
  clusterOptions,
  describeNodes,
  newCluster,
  pingEveryMaster,
  watchShards,
} from './redis-cluster';
import { paceReads } from './paced-reads';

/** A start-up failure whose message says it all (main prints it alone, on one line, and exits 1). */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}

/** How long the start waits for Redis before giving up. */
export const REDIS_CONNECT_TIMEOUT_MS = 5000;
/**
 * A store command that has no answer after this long fails (`unavailable` for the client), even
 * if the connection looks alive (a stopped or overloaded server).
 */
export const REDIS_COMMAND_TIMEOUT_MS = 2000;
/** Longest wait between two reconnection attempts. */
const MAX_RETRY_DELAY_MS = 1000;
/** How long `close` waits for a client's pending replies (QUIT) before cutting it. */
const QUIT_TIMEOUT_MS = 1000;

const retryStrategy = (attempt: number): number =>
  Math.min(attempt * 100, MAX_RETRY_DELAY_MS);

/**
 * ioredis's fallback for a connection that does not close after `disconnect()`. Its default (2 s)
 * also runs for a connection that had already closed, keeping a stopping process alive for it.
 */
const DISCONNECT_TIMEOUT_MS = 200;

/**
 * The store client fails fast while Redis is away, so that a send is answered `unavailable` at
 * once rather than after the client's ack timeout: no offline queue, and commands in flight when
 * the connection drops fail right away (maxRetriesPerRequest 0) instead of being resent later.
 */
const STORE_CLIENT_OPTIONS: RedisOptions = {
  lazyConnect: true,
  // Commands issued in one event-loop turn leave in one write: under load, one syscall for many
  // messages instead of several per message (the largest cost of a send on Redis, measured).
  enableAutoPipelining: true,
  // Already one command per turn (TurnBatch: the message store's saves, the rate limiter's takes):
  // a pipeline around them would only add objects (measured: ioredis's pipelines were then most
  // of what the api promoted).
  autoPipeliningIgnoredCommands: ['chatSaveMessages', 'chatTakeTokens'],
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
  disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  retryStrategy,
};

/**
 * Long-lived clients (the socket.io adapter's) wait for Redis instead: commands queue while it is
 * away and go out once it is back; a subscriber subscribes again.
 */
const WAITING_CLIENT_OPTIONS: RedisOptions = {
  enableOfflineQueue: true,
  maxRetriesPerRequest: null,
  connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
  disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  retryStrategy,
};

/** The same on a Redis Cluster (see clusterOptions). */
const STORE_CLUSTER_OPTIONS = clusterOptions(false, retryStrategy, {
  maxRetriesPerRequest: 0,
  commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
  disconnectTimeout: DISCONNECT_TIMEOUT_MS,
});
const WAITING_CLUSTER_OPTIONS = clusterOptions(true, retryStrategy, {
  maxRetriesPerRequest: null,
  connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
  disconnectTimeout: DISCONNECT_TIMEOUT_MS,
});

/** Where the clients connect: a Redis server (REDIS_URL), or a Redis Cluster (REDIS_CLUSTER_NODES). */
type Target =
  | { url: string; nodes?: undefined }
  | { nodes: NonNullable<AppConfig['redisClusterNodes']>; url?: undefined };

/**
 * The Redis server (or Redis Cluster) of `STORE=redis`: the store client (sessions, messages,
 * presence) and every other client made for this app (the socket.io adapter's), all closed
 * together on shutdown. Connection losses are logged once each, with the recovery; ioredis
 * reconnects by itself. On a cluster every client is an ioredis `Cluster` (typed as the `Redis`
 * the stores take), the subscriber with a connection per master (sharded pub/sub).
 */
export class RedisConnection implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  /** Clients to QUIT on close (they may have writes in flight), and clients to cut at once. */
  private readonly writers = new Set<Redis>();
  private readonly readers = new Set<Redis>();
  /** Clients currently reconnecting. */
  private readonly down = new Set<Redis>();
  private closing: Promise<void> | undefined;

  /** Pending SSUBSCRIBEs per subscriber (a cluster's: see `subscribed`). */
  private readonly subscribing = new Map<Redis, Set<Promise<unknown>>>();

  private constructor(
    /** The store client: fails fast while Redis is unreachable. */
    readonly client: Redis,
    /** REDIS_URL with any password hidden, or the cluster's nodes: what may be logged. */
    readonly displayUrl: string,
    readonly prefix: string,
    private readonly target: Target,
  ) {
    this.watch(client, 'stores');
    this.writers.add(client);
  }

  /** Whether the clients are on a Redis Cluster (REDIS_CLUSTER_NODES). */
  get cluster(): boolean {
    return this.target.nodes !== undefined;
  }

  /**
   * Connects the store client; rejects with a StartupError naming REDIS_URL (or
   * REDIS_CLUSTER_NODES, which wins when set) if Redis cannot be reached (or refuses us) within
   * `timeoutMs`.
   */
  static async connect(
    config: Pick<AppConfig, 'redisUrl' | 'redisPrefix'> &
      Partial<Pick<AppConfig, 'redisClusterNodes'>>,
    timeoutMs = REDIS_CONNECT_TIMEOUT_MS,
  ): Promise<RedisConnection> {
    const nodes = config.redisClusterNodes;
    const target: Target = nodes ? { nodes } : { url: config.redisUrl };
    const displayUrl = nodes
      ? `the Redis Cluster of ${describeNodes(nodes)}`
      : redactUrl(config.redisUrl);
    // No retry until the first connection is made: a failed start leaves nothing running.
    let started = false;
    const retry = (attempt: number) =>
      started ? retryStrategy(attempt) : null;
    const client = nodes
      ? newCluster(nodes, {
          ...STORE_CLUSTER_OPTIONS,
          clusterRetryStrategy: retry,
        })
      : new Redis(config.redisUrl, {
          ...STORE_CLIENT_OPTIONS,
          retryStrategy: retry,
        });
    // ioredis rejects connect() with a bare "Connection is closed": the reason is in 'error'.
    let reason: Error | undefined;
    const onError = (error: Error) => (reason ??= error);
    client.on('error', onError);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connect(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      if (client.status !== 'end') client.disconnect();
      const why = (reason ?? error) as Error;
      throw new StartupError(
        `cannot reach ${nodes ? displayUrl : `Redis at ${displayUrl}`} (${nodes ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL'}): ${why.message}`,
        { cause: why },
      );
    } finally {
      clearTimeout(timer);
      client.off('error', onError);
    }
    started = true;
    return new RedisConnection(client, displayUrl, config.redisPrefix, target);
  }

  /**
   * A new client to the same server, for `name` (in logs), that waits for Redis rather than
   * failing while it is away (commands queue and go out once it is back). Closed with this
   * connection, after its pending replies.
   */
  createClient(name: string): Redis {
    const client = this.newWaitingClient(name);
    this.writers.add(client);
    return client;
  }

  /**
   * A client for SUBSCRIBE/SSUBSCRIBE (the socket.io adapter's): it resubscribes by itself after a
   * lost connection (ioredis's autoResubscribe; on a cluster, a connection per master that
   * ioredis replaces and subscribes again). Closed at once with this connection. It delivers one
   * read per turn of the event loop (paceReads).
   */
  createSubscriber(name: string): Redis {
    const client = this.newWaitingClient(name, true);
    const pending = new Set<Promise<unknown>>();
    this.subscribing.set(client, pending);
    // The adapter (and ioredis, when it subscribes again) sends these without waiting for them: one
    // still queued when the client closes must not become an unhandled rejection.
    const commands = client as unknown as Record<
      'ssubscribe' | 'sunsubscribe',
      (...args: unknown[]) => Promise<unknown>
    >;
    for (const command of ['ssubscribe', 'sunsubscribe'] as const) {
      const send = commands[command].bind(client);
      commands[command] = (...args) => {
        const sent = send(...args);
        const settled = sent.catch(() => undefined);
        if (command === 'ssubscribe') {
          pending.add(settled);
          void settled.finally(() => pending.delete(settled));
        }
        return sent;
      };
    }
    // A cluster's connections per master are ioredis's own: not paced.
    if (!this.cluster) paceReads(client);
    this.readers.add(client);
    return client;
  }

  /** Every subscriber client made so far. */
  get subscribers(): readonly Redis[] {
    return [...this.readers];
  }

  /**
   * Resolves once every subscription `subscriber` asked for so far is active in Redis; never
   * rejects. On one server, a PING on it (answered after the SSUBSCRIBEs before it); on a
   * cluster, the replies to its SSUBSCRIBEs pending now, then a PING to every master (after a
   * master's subscriber was replaced, ioredis subscribes it again without telling when it is
   * answered: a round trip to that master after the SSUBSCRIBEs were written).
   */
  async subscribed(subscriber: Redis): Promise<void> {
    if (!this.cluster) {
      await subscriber.ping().catch(() => undefined);
      return;
    }
    await Promise.all(this.subscribing.get(subscriber) ?? []);
    await pingEveryMaster(subscriber).catch(() => undefined);
  }

  /**
   * Calls `back` each time `subscriber` has its connection back after losing it (on a cluster:
   * every master's), once it has asked to subscribe again (`subscribed` then tells when that is
   * active): what was published meanwhile never reached this node. `lost`, if given, is called
   * when the connection (on a cluster: a master's) is found lost, before its `back`.
   */
  onSubscriberBack(
    subscriber: Redis,
    back: () => void,
    lost?: () => void,
  ): void {
    if (this.cluster) {
      watchShards(subscriber, {
        lost: (nodeKey) => {
          lost?.();
          this.lost(
            subscriber,
            'socket.io adapter (subscriber)',
            `its connection to ${nodeKey} closed`,
          );
        },
        back: () => {
          this.found(subscriber);
          back();
        },
      });
      return;
    }
    let away = false;
    subscriber.on('reconnecting', () => {
      away = true;
      lost?.();
    });
    subscriber.on('ready', () => {
      if (!away) return;
      away = false;
      // 'ready' comes before ioredis subscribes again (in the same turn): call after that.
      setImmediate(back);
    });
  }

  private newWaitingClient(name: string, subscriber = false): Redis {
    if (this.closing) throw new Error('the Redis connection is closed');
    const { nodes, url } = this.target;
    const client = nodes
      ? newCluster(nodes, {
          ...WAITING_CLUSTER_OPTIONS,
          // Sharded pub/sub: a subscriber connection per master, each for its slots' channels.
          shardedSubscribers: subscriber,
        })
      : new Redis(url, {
          ...WAITING_CLIENT_OPTIONS,
          // Commands issued in one turn (a subscription to each room joined) leave in one write.
          enableAutoPipelining: true,
          // Already one per channel per turn (shardedPerRoom's frames): a pipeline around them only
          // adds objects that outlive a young-generation GC while Redis answers (measured at a paced
          // rate: most of what a node promoted, as ioredis's pipelines around XADD once were).
          autoPipeliningIgnoredCommands: ['spublish'],
        });
    this.watch(client, name);
    return client;
  }

  /** Whether every client is connected (none is reconnecting after a lost connection). */
  get allConnected(): boolean {
    return this.down.size === 0 && this.client.status === 'ready';
  }

  /**
   * Rejects unless Redis answers a PING on the store client (on a cluster: every master, each on
   * its own connection).
   */
  async ping(): Promise<void> {
    if (this.cluster) await pingEveryMaster(this.client);
    else await this.client.ping();
  }

  /** Closes every client: writers after their pending replies (bounded), readers at once. */
  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  private async closeAll(): Promise<void> {
    for (const reader of this.readers)
      if (reader.status !== 'end') reader.disconnect();
    await Promise.all([...this.writers].map((client) => quit(client)));
  }

  /**
   * Logs a lost connection once per outage (not per client, not per retry), and its end once
   * every client is back.
   */
  private watch(client: Redis, name: string): void {
    let lastError: Error | undefined;
    client.on('error', (error: Error) => (lastError = error));
    // Emitted only when ioredis will try again: never for a connection closed on purpose.
    client.on('reconnecting', () =>
      this.lost(client, name, lastError?.message ?? 'connection closed'),
    );
    client.on('ready', () => {
      lastError = undefined;
      this.found(client);
    });
    client.on('end', () => this.down.delete(client));
  }

  private lost(client: Redis, name: string, why: string): void {
    if (this.down.has(client) || this.closing) return;
    this.down.add(client);
    if (this.down.size > 1) return;
    this.logger.warn(
      `lost Redis at ${this.displayUrl} (${name}: ${why}); reconnecting`,
    );
  }

  private found(client: Redis): void {
    if (!this.down.delete(client) || this.down.size > 0) return;
    this.logger.log(`Redis is back at ${this.displayUrl}`);
  }
}

const ended = (client: Redis): boolean => client.status === 'end';

/** QUIT (replies to earlier commands come first), or cut the connection if that takes too long. */
async function quit(client: Redis): Promise<void> {
  if (ended(client)) return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, QUIT_TIMEOUT_MS);
      }),
    ]);
  } catch {
    // Not connected (the store client has no offline queue): nothing to wait for.
  } finally {
    clearTimeout(timer);
    if (!ended(client)) client.disconnect();
  }
}
