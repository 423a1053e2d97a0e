import type { RateLimitConfig } from '../../config/app-config';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const SWEEP_INTERVAL_MS = 60_000;

/**
 * Token bucket per key (a userID, a userID's bucket for reads, a client address): `burst` tokens,
 * refilled at `perSecond`. Every node of a deployment must share the buckets, or a user with tabs
 * on several nodes gets the budget once per node: `STORE=redis` keeps them in Redis
 * (RedisRateLimiter), single-process stores in memory.
 */
export abstract class RateLimiter {
  /** Takes one token for `key`: false when the bucket is empty. Rejects when the state is unreachable. */
  abstract take(key: string): Promise<boolean>;
}

/** What the chat rate-limits, each with budgets of its own. */
export class RateLimits {
  constructor(
    /** Per user (RATE_LIMIT_*): sends; and, in a bucket of their own, `fetch messages` and `fetch users`. */
    readonly messages: RateLimiter,
    /** Per client address (NEW_SESSIONS_PER_MINUTE): handshakes that start a new session. */
    readonly newSessions: RateLimiter,
  ) {}
}

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
