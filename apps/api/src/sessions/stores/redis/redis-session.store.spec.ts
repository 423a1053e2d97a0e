import type { Redis } from 'ioredis';
import { RedisKeys } from '../../../shared/redis/redis-keys';
import { useRedis, useRedisCluster } from '../../../testing/store-backends';
import { sessionStoreContract } from '../session.store.contract';
import { RedisSessionStore } from './redis-session.store';

// Against a real Redis (REDIS_URL, or a redis-server of this run's own): one key prefix per test,
// so each store starts empty; every key of the run is deleted at the end.
const redis = useRedis();

sessionStoreContract(
  'redis',
  (options) => new RedisSessionStore(redis.client, redis.keys(), options),
);

// The same on a Redis Cluster of three masters: every script's keys in one hash slot.
const cluster = useRedisCluster();
sessionStoreContract(
  'redis cluster',
  (options) => new RedisSessionStore(cluster.client, cluster.keys(), options),
);

/**
 * A stand-in for Redis whose `hasUser` lookups the test answers by hand: the order of the answers
 * is promise logic alone (the store against a real Redis: the contract suite above).
 */
class HeldRedis {
  readonly lookups: ((found: [connected: number, lastSeen: string]) => void)[] =
    [];
  chatHasUser = () =>
    new Promise<[number, string]>((resolve) => this.lookups.push(resolve));
  chatSaveSession = () => Promise.resolve(1);
  chatDeleteExpiredSession = () => Promise.resolve(0);
  chatUpdateSettings = () => Promise.resolve([]);
}

describe('RedisSessionStore.hasUser', () => {
  // A sender's first message waits for the lookup of its recipient; its second (whose rate-limit
  // answer came in the same read from Redis) asks while the microtasks of that answer still run.
  it.each([0, 1, 2, 3, 4, 5, 6, 8, 12])(
    'answers a later caller after an earlier one still waiting for Redis (asked %i microtasks after the answer)',
    async (ticks) => {
      const redis = new HeldRedis();
      const store = new RedisSessionStore(
        redis as unknown as Redis,
        new RedisKeys('test:'),
      );
      const order: string[] = [];
      const first = store.hasUser('bob').then(() => order.push('first'));
      redis.lookups[0]([1, '0']);
      let later = Promise.resolve();
      for (let i = 0; i < ticks; i++) later = later.then(() => undefined);
      // Awaited as the service awaits it: one microtask after it resolves.
      const second = later.then(() =>
        store.hasUser('bob').then(() => order.push('second')),
      );
      await Promise.all([first, second]);
      expect(order).toEqual(['first', 'second']);
      expect(redis.lookups).toHaveLength(1);
    },
  );
});
