import { RedisKeys } from '../../../shared/redis/redis-keys';
import { useRedis, useRedisCluster } from '../../../testing/store-backends';
import { rateLimiterContract } from '../rate-limiter.contract';
import { RedisRateLimiter } from './redis-rate-limiter';

// Against a real Redis (REDIS_URL, or a redis-server of this run's own): one key prefix per test,
// so each store starts empty; every key of the run is deleted at the end.
const redis = useRedis();

rateLimiterContract(
  'redis',
  (config) => new RedisRateLimiter(redis.client, redis.keys(), config),
);

// The same on a Redis Cluster of three masters.
const cluster = useRedisCluster();
rateLimiterContract(
  'redis cluster',
  (config) => new RedisRateLimiter(cluster.client, cluster.keys(), config),
);

describe('RedisRateLimiter', () => {
  it('shares the buckets between nodes: one budget whatever node a tab is on', async () => {
    const k = redis.keys();
    const config = { perSecond: 0.001, burst: 4 };
    const nodes = [
      new RedisRateLimiter(redis.client, k, config),
      new RedisRateLimiter(redis.otherNode, new RedisKeys(k.prefix), config),
    ];
    const answers = await Promise.all(
      nodes.flatMap((node) =>
        Array.from({ length: 4 }, () => node.take('alice')),
      ),
    );
    expect(answers.filter(Boolean)).toHaveLength(4);
    expect(await nodes[1].take('bob')).toBe(true);
  });

  it('lets Redis forget a bucket once it would be full again', async () => {
    const k = redis.keys();
    // Refilled in 2 s: kept 2 s, plus a second of margin.
    await new RedisRateLimiter(redis.client, k, {
      perSecond: 2,
      burst: 4,
    }).take('alice');
    const ttl = await redis.client.pttl(k.rateLimit('alice'));
    expect(ttl).toBeGreaterThan(2_000);
    expect(ttl).toBeLessThanOrEqual(3_000);
  });
});
