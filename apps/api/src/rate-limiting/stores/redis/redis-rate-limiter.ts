import type { Redis } from 'ioredis';
import type { RateLimitConfig } from '../../../config/app-config';
import { RateLimiter } from '../rate-limiter';
import type { RedisKeys } from '../../../shared/redis/redis-keys';
import { defineOnce } from '../../../shared/redis/define-once';
import { TurnBatch } from '../../../shared/batching';

/**
 * Takes one token from each bucket of KEYS, in order (a key may repeat: one take each), and
 * answers 1 (taken) or 0 (empty) per key. ARGV: burst, tokens per millisecond, the TTL of a
 * bucket (ms). A bucket is a hash { tokens, at } refilled from Redis's own clock (TIME), so the
 * nodes' clocks do not matter; it expires once it would be full again, and a missing bucket is a
 * full one.
 */
const TAKE_TOKENS = `
local burst, perMs, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local taken = {}
for i, key in ipairs(KEYS) do
  local bucket = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(bucket[1]) or burst
  local at = tonumber(bucket[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - at) * perMs)
  if tokens >= 1 then
    tokens = tokens - 1
    taken[i] = 1
  else
    taken[i] = 0
  end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', key, ttl)
end
return taken
`;

/** Most takes answered by one script. */
const MAX_BATCH = 1000;
/** Longest a bucket is kept (limits so slow that refilling takes longer are cut short). */
const MAX_TTL_MS = 86_400_000;

interface TakeTokensCommand {
  chatTakeTokens(
    numberOfKeys: number,
    ...keysAndArgs: (string | number)[]
  ): Promise<number[]>;
}

/**
 * `STORE=redis`: the token buckets in Redis, shared by every node, so a budget (a user's, an
 * address's) is one whatever node each tab or handshake reaches. The takes of one turn of the
 * event loop go in one script (TurnBatch), like the saves of the message store.
 */
export class RedisRateLimiter extends RateLimiter {
  private readonly redis: Redis & TakeTokensCommand;
  private readonly takes = new TurnBatch<string, boolean>(
    (keys) => this.takeAll(keys),
    MAX_BATCH,
  );
  /** A bucket left alone this long is full again: Redis may forget it. */
  private readonly ttlMs: number;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly config: RateLimitConfig,
  ) {
    super();
    defineOnce(redis, 'chatTakeTokens', 'variadic', TAKE_TOKENS);
    this.redis = redis as Redis & TakeTokensCommand;
    this.ttlMs = Math.min(
      MAX_TTL_MS,
      Math.ceil((config.burst / config.perSecond) * 1000) + 1000,
    );
  }

  take(key: string): Promise<boolean> {
    return this.takes.add(key);
  }

  private async takeAll(keys: string[]): Promise<boolean[]> {
    const taken = await this.redis.chatTakeTokens(
      keys.length,
      ...keys.map((key) => this.keys.rateLimit(key)),
      this.config.burst,
      this.config.perSecond / 1000,
      this.ttlMs,
    );
    return taken.map((answer) => answer === 1);
  }
}
