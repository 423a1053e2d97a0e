import {
  Cluster,
  type ClusterOptions,
  type Redis,
  type RedisOptions,
} from 'ioredis';
import type { HostPort } from '../../config/env-values';

/*
 * What RedisConnection does differently on a Redis Cluster (REDIS_CLUSTER_NODES): ioredis
 * `Cluster` clients, the subscriber's connection per master, and a readiness check per master.
 */

/** The text that names a cluster in logs and errors: its configured nodes. */
export const describeNodes = (nodes: readonly HostPort[]): string =>
  nodes
    .map(
      ({ host, port, tls }) =>
        (tls ? 'rediss://' : '') +
        (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`),
    )
    .join(',');

/**
 * How often a cluster client reads the cluster's map again (CLUSTER SLOTS): it also reconnects to
 * a master that came back after its connection closed (ioredis does that only on an error or a
 * MOVED otherwise), and follows a failover or a resharding before a command runs into it.
 */
const SLOTS_REFRESH_MS = 2000;

/**
 * A Cluster client's options around its nodes' `redisOptions` (ioredis's node connections never
 * retry: the Cluster does). `waiting`: commands queue while the cluster is away, otherwise they
 * fail at once. Without auto-pipelining: ioredis 5.11.1 fails an auto-pipelined command with the
 * MOVED it gets once the connection to its master was gone (sent to another master), where it
 * follows MOVED for a command on its own (seen: after a master's restart, 2 runs in 10 lost a
 * node's next broadcast).
 */
export const clusterOptions = (
  waiting: boolean,
  clusterRetryStrategy: (attempt: number) => number | null,
  redisOptions: RedisOptions,
): ClusterOptions => ({
  lazyConnect: !waiting,
  enableOfflineQueue: waiting,
  redisOptions,
  clusterRetryStrategy,
  slotsRefreshInterval: SLOTS_REFRESH_MS,
});

/**
 * A Cluster client on `nodes` (the stores take it as the `Redis` it mostly is), with the
 * credentials of the first node that gives any, and TLS to every node if any is `rediss://`:
 * every node of a cluster is reached alike. TLS checks each node's certificate against the
 * address it is reached at (the cluster's map gives addresses) and Node.js's CAs, which
 * NODE_EXTRA_CA_CERTS extends.
 */
export function newCluster(
  nodes: readonly HostPort[],
  options: ClusterOptions,
): Redis {
  const { username, password } =
    nodes.find((node) => node.password !== undefined) ?? {};
  const tls = nodes.some((node) => node.tls);
  return new Cluster(
    nodes.map(({ host, port }) => ({ host, port })),
    {
      ...options,
      redisOptions: {
        ...options.redisOptions,
        username,
        password,
        ...(tls && { tls: {} }),
      },
    },
  ) as unknown as Redis;
}

/** `redis` as the Cluster it is (see isCluster in scan.ts). */
const asCluster = (redis: Redis): Cluster => redis as unknown as Cluster;

/**
 * PING on every master that holds slots (the cluster's map), each on this client's connection to
 * it; rejects naming the first that is missing or does not answer.
 */
export async function pingEveryMaster(redis: Redis): Promise<void> {
  const cluster = asCluster(redis);
  const owners = new Set(cluster.slots.map((slot) => slot?.[0]));
  owners.delete(undefined as unknown as string);
  const byKey = new Map(
    cluster
      .nodes('master')
      .map((node) => [`${node.options.host}:${node.options.port}`, node]),
  );
  await Promise.all(
    [...owners].map(async (key) => {
      const node = byKey.get(key);
      if (!node) throw new Error(`no connection to the master at ${key}`);
      try {
        await node.ping();
      } catch (error) {
        throw new Error(`the master at ${key}: ${(error as Error).message}`);
      }
    }),
  );
}

export interface ShardEvents {
  /** A master's subscriber connection was lost (once, until `back`). */
  lost(nodeKey: string): void;
  /** Every master's subscriber connection is back and subscribed again. */
  back(): void;
}

/**
 * Follows a subscriber Cluster's connections per master (ioredis's `shardedSubscribers`): ioredis
 * replaces a lost one (a master restarted, the connection cut), subscribes it again and emits
 * 'subscribersReady'; but it emits that after a failed attempt too, about every 20 ms while the
 * master is away (measured with ioredis 5.11.1). An attempt starts with '+subscriber' for the
 * replacement, and failed if a subscriber ended ('-node' with a node key: the pool's own '-node'
 * has none) before its 'subscribersReady'.
 */
export function watchShards(redis: Redis, on: ShardEvents): void {
  const cluster = asCluster(redis);
  let lost = false;
  let clean = true;
  cluster.on('+subscriber', () => (clean = true));
  cluster.on('-node', (_node: unknown, nodeKey?: string) => {
    if (nodeKey === undefined) return;
    clean = false;
    if (lost) return;
    lost = true;
    on.lost(nodeKey);
  });
  // The whole cluster lost: ioredis stops every subscriber (no '-node') and starts new ones.
  cluster.on('reconnecting', () => {
    if (lost) return;
    lost = true;
    on.lost('every master');
  });
  cluster.on('subscribersReady', () => {
    if (!lost || !clean) return;
    lost = false;
    on.back();
  });
}
