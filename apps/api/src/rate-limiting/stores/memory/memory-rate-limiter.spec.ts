import { MemoryRateLimiter } from './memory-rate-limiter';
import { rateLimiterContract } from '../rate-limiter.contract';

rateLimiterContract('memory', (config) => new MemoryRateLimiter(config));

describe('MemoryRateLimiter', () => {
  let now = 0;
  const clock = () => now;

  beforeEach(() => {
    now = 0;
  });

  it('allows a burst, then refuses until tokens refill at the configured rate', () => {
    const limiter = new MemoryRateLimiter({ perSecond: 2, burst: 3 }, clock);
    expect([1, 2, 3, 4].map(() => limiter.tryTake('a'))).toEqual([
      true,
      true,
      true,
      false,
    ]);
    now += 499;
    expect(limiter.tryTake('a')).toBe(false);
    now += 1;
    expect(limiter.tryTake('a')).toBe(true);
    expect(limiter.tryTake('a')).toBe(false);
  });

  it('never stores more than the burst', () => {
    const limiter = new MemoryRateLimiter({ perSecond: 100, burst: 2 }, clock);
    limiter.tryTake('a');
    now += 60_000;
    expect([1, 2, 3].map(() => limiter.tryTake('a'))).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('keeps one bucket per key', () => {
    const limiter = new MemoryRateLimiter({ perSecond: 1, burst: 1 }, clock);
    expect(limiter.tryTake('a')).toBe(true);
    expect(limiter.tryTake('a')).toBe(false);
    expect(limiter.tryTake('b')).toBe(true);
  });

  it('forgets idle keys (full buckets) so memory follows active users', () => {
    const limiter = new MemoryRateLimiter({ perSecond: 1, burst: 2 }, clock);
    for (let i = 0; i < 100; i++) limiter.tryTake(`user${i}`);
    expect(limiter.size).toBe(100);
    now += 61_000;
    limiter.tryTake('active');
    expect(limiter.size).toBe(1);
  });
});
