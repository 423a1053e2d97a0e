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
