import { Cluster, type ClusterOptions, type Redis } from 'ioredis';
import type { HostPort } from '../../config/env-values';

/*
 * What RedisConnection does differently on a Redis Cluster (REDIS_CLUSTER_NODES): ioredis
 * `Cluster` clients, the subscriber's connection per master, and a readiness check per master.
 */

/** The text that names a cluster in logs and errors: its configured nodes. */
export const describeNodes = (nodes: readonly HostPort[]): string =>
  nodes
    .map(({ host, port }) =>
      host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    )
    .join(',');

/** A Cluster client on `nodes` (the stores take it as the `Redis` it mostly is). */
export function newCluster(
  nodes: readonly HostPort[],
  options: ClusterOptions,
): Redis {
  return new Cluster([...nodes], options) as unknown as Redis;
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
