import type { RateLimitConfig } from '../../../config/app-config';
import { RateLimiter } from '../rate-limiter';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const SWEEP_INTERVAL_MS = 60_000;

/** The buckets of one process (memory and SQLite stores: one process holds all the state). */
export class MemoryRateLimiter extends RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep: number;

  constructor(
    private readonly config: RateLimitConfig,
    private readonly now: () => number = () => performance.now(),
  ) {
    super();
    this.lastSweep = now();
  }

  take(key: string): Promise<boolean> {
    return Promise.resolve(this.tryTake(key));
  }

  /** `take`, synchronously. */
  tryTake(key: string): boolean {
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(key) ?? {
      tokens: this.config.burst,
      updatedAt: now,
    };
    bucket.tokens = this.refilled(bucket, now);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Number of keys tracked (for tests: idle buckets are dropped). */
  get size(): number {
    return this.buckets.size;
  }

  private refilled(bucket: Bucket, now: number): number {
    const elapsedSeconds = Math.max(0, now - bucket.updatedAt) / 1000;
    return Math.min(
      this.config.burst,
      bucket.tokens + elapsedSeconds * this.config.perSecond,
    );
  }

  // A full bucket is the same as no bucket: drop those now and then so memory follows active users.
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (this.refilled(bucket, now) >= this.config.burst)
        this.buckets.delete(key);
    }
  }
}
