import type { RateLimitConfig } from '../../config/app-config';
import type { RateLimiter } from './rate-limiter';

/** Refills so slowly that no token comes back while a test runs. */
const NO_REFILL = 0.001;

/** Lets real time pass: a refill at a known rate needs it, whatever the clock of the limiter. */
const elapse = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The behaviour every `RateLimiter` must have, run against each implementation on its real clock
 * (memory/memory-rate-limiter.spec.ts; redis/redis-rate-limiter.spec.ts, where several nodes
 * also share the buckets). Each call of `createLimiter` must start with no bucket at all.
 */
export function rateLimiterContract(
  name: string,
  createLimiter: (config: RateLimitConfig) => RateLimiter,
): void {
  describe(`RateLimiter contract: ${name}`, () => {
    const takes = (limiter: RateLimiter, key: string, count: number) =>
      Promise.all(Array.from({ length: count }, () => limiter.take(key)));
    const granted = (answers: boolean[]) => answers.filter(Boolean).length;

    it('allows a burst, then refuses', async () => {
      const limiter = createLimiter({ perSecond: NO_REFILL, burst: 3 });
      const answers: boolean[] = [];
      for (let i = 0; i < 4; i++) answers.push(await limiter.take('alice'));
      expect(answers).toEqual([true, true, true, false]);
    });

    it('grants exactly the burst to takes made at once', async () => {
      const limiter = createLimiter({ perSecond: NO_REFILL, burst: 5 });
      expect(granted(await takes(limiter, 'alice', 20))).toBe(5);
      expect(await limiter.take('alice')).toBe(false);
    });

    it('keeps one bucket per key', async () => {
      const limiter = createLimiter({ perSecond: NO_REFILL, burst: 2 });
      const [alice, bob, fetches] = await Promise.all([
        takes(limiter, 'alice', 3),
        takes(limiter, 'bob', 3),
        takes(limiter, 'fetch:alice', 3),
      ]);
      expect([alice, bob, fetches].map(granted)).toEqual([2, 2, 2]);
    });

    it('refills at the configured rate, never beyond the burst', async () => {
      // 50 tokens a second: one every 20 ms.
      const limiter = createLimiter({ perSecond: 50, burst: 2 });
      expect(granted(await takes(limiter, 'alice', 2))).toBe(2);
      await elapse(100);
      // Five tokens' worth of time, two kept.
      expect(granted(await takes(limiter, 'alice', 10))).toBe(2);
    });
  });
}
