import { redisForTests, startRedisCluster } from '@chat/test-support';

/** Where presence, rate limits and broadcasts go: the variables of one deployment, a key prefix each. */
export interface RedisBackend {
  env(deployment: number): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The two ways api nodes share Redis, for the process-level specs to run their rules on both
 * (`describe.each`): one Redis (REDIS_URL, REDIS_PREFIX per deployment), and a Redis Cluster of
 * three masters started for the spec (REDIS_CLUSTER_NODES; `clusterPrefix` + the deployment).
 */
export const redisBackends = (
  clusterPrefix: string,
): { name: string; start(): Promise<RedisBackend> }[] => [
  {
    name: 'Redis',
    async start() {
      const redis = await redisForTests();
      return {
        env: (n) => ({
          REDIS_URL: redis.url,
          REDIS_PREFIX: `${redis.prefix}${n}:`,
        }),
        stop: () => redis.stop(),
      };
    },
  },
  {
    name: 'a Redis Cluster (REDIS_CLUSTER_NODES)',
    async start() {
      const cluster = await startRedisCluster();
      return {
        env: (n) => ({
          REDIS_CLUSTER_NODES: cluster.nodes,
          REDIS_PREFIX: `${clusterPrefix}${n}:`,
        }),
        stop: () => cluster.stop(),
      };
    },
  },
];
