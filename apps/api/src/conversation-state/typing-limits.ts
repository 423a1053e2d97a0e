import { TYPING_BUDGET } from '@chat/contracts';
import type { RateLimitConfig } from '../config/app-config';
import { MemoryRateLimiter } from '../rate-limiting/stores/memory/memory-rate-limiter';

/** Per sender and recipient (PROTOCOL): a bucket of 2, refilled at 2 a second. */
export const TYPING_PER_RECIPIENT: RateLimitConfig = { ...TYPING_BUDGET };

/**
 * How long a forwarded `true` is remembered, so that the `false` after it goes whatever the
 * buckets say: receivers drop an indicator after 15 s without a new `true`, so a `false` later
 * than this changes nothing for anyone.
 */
const REMEMBER_TRUE_MS = 30_000;
const SWEEP_INTERVAL_MS = 60_000;

/** One key per sender and recipient (userIDs hold no NUL character). */
const pairKey = (from: string, to: string) => `${from}\u0000${to}`;

/**
 * The typing notices a node forwards. Never stored and never shared: each node limits what its own
 * sockets send, in memory (a user with tabs on several nodes gets each node's budget, still
 * bounded), so a notice costs no store round trip before it is dropped. Two buckets: one per
 * sender and recipient (2, 2 a second), and one per sender over all recipients (RATE_LIMIT_*), so
 * that nobody shows as typing to a thousand users at once. A `false` that follows a forwarded
 * `true` always goes: an indicator must not stay on because the bucket ran dry.
 */
export class TypingLimits {
  private readonly perRecipient: MemoryRateLimiter;
  private readonly perSender: MemoryRateLimiter;
  /** Pairs whose last forwarded notice was `true`, with when it was forwarded. */
  private readonly shown = new Map<string, number>();
  private lastSweep: number;

  constructor(
    perSender: RateLimitConfig,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.perRecipient = new MemoryRateLimiter(TYPING_PER_RECIPIENT, now);
    this.perSender = new MemoryRateLimiter(perSender, now);
    this.lastSweep = now();
  }

  /**
   * Whether a notice from `from` to `to` may go: a `false` after a `true` that went always may;
   * anything else takes a token from both buckets. Decided at once, in the order the notices
   * came (the checks after it are asynchronous): a `true` that goes is remembered now.
   */
  allows(from: string, to: string, typing: boolean): boolean {
    const now = this.now();
    this.sweep(now);
    const pair = pairKey(from, to);
    if (!typing && this.shown.delete(pair)) return true;
    const allowed =
      this.perRecipient.tryTake(pair) && this.perSender.tryTake(from);
    if (allowed && typing) this.shown.set(pair, now);
    return allowed;
  }

  /** Pairs remembered (for tests: old ones are dropped). */
  get size(): number {
    return this.shown.size;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const [key, at] of this.shown)
      if (now - at > REMEMBER_TRUE_MS) this.shown.delete(key);
  }
}
