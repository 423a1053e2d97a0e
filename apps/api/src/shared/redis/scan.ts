import type { Cluster, Redis } from 'ioredis';

/** Whether `redis` is in fact an ioredis Cluster (the stores take either as `Redis`). */
export const isCluster = (redis: Redis): boolean =>
  (redis as unknown as { isCluster?: boolean }).isCluster === true;

/**
 * The keys matching `pattern` (a SCAN glob), a page at a time: on a Redis Cluster, SCAN walks one
 * node only, so every master is walked in turn.
 */
export async function* scanKeys(
  redis: Redis,
  pattern: string,
  count: number,
): AsyncGenerator<string[]> {
  const servers = isCluster(redis)
    ? (redis as unknown as Cluster).nodes('master')
    : [redis];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, found] = await server.scan(
        cursor,
        'MATCH',
        pattern,
        'COUNT',
        count,
      );
      cursor = next;
      yield found;
    } while (cursor !== '0');
  }
}
