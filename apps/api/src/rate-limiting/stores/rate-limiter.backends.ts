import { ConfigService } from '@nestjs/config';
import type { RateLimitConfig } from '../../config/app-config';
import type { AppConfigService } from '../../config/app-config.module';
import { RedisConnection } from '../../shared/redis/redis-connection';
import { RedisKeys } from '../../shared/redis/redis-keys';
import type { StoreBackends } from '../../shared/store-backends';
import { RateLimits } from '../rate-limits';
import { MemoryRateLimiter } from './memory/memory-rate-limiter';
import type { RateLimiter } from './rate-limiter';
import { RedisRateLimiter } from './redis/redis-rate-limiter';

/** The budgets of RATE_LIMIT_* and NEW_SESSIONS_PER_MINUTE, each in a limiter made by `limiter`. */
const rateLimits = (
  config: AppConfigService,
  limiter: (limits: RateLimitConfig) => RateLimiter,
) =>
  new RateLimits(
    limiter(config.get('rateLimit', { infer: true })),
    limiter(config.get('newSessionLimit', { infer: true })),
  );

/**
 * `RateLimits` on each backend. One budget per user (and per address) for the whole deployment:
 * a store of one process keeps the buckets in memory; with Redis (several nodes) they live there,
 * like the rest of the shared state.
 */
export const rateLimiterBackends: StoreBackends = {
  memory: {
    provide: RateLimits,
    useFactory: (config: AppConfigService) =>
      rateLimits(config, (limits) => new MemoryRateLimiter(limits)),
    inject: [ConfigService],
  },
  sqlite: {
    provide: RateLimits,
    useFactory: (config: AppConfigService) =>
      rateLimits(config, (limits) => new MemoryRateLimiter(limits)),
    inject: [ConfigService],
  },
  // One budget for the whole deployment through Redis (REDIS_URL); without it there is one node.
  postgres: {
    provide: RateLimits,
    useFactory: (
      config: AppConfigService,
      redis: RedisConnection | undefined,
      keys: RedisKeys | undefined,
    ) =>
      rateLimits(config, (limits) =>
        redis && keys
          ? new RedisRateLimiter(redis.client, keys, limits)
          : new MemoryRateLimiter(limits),
      ),
    inject: [
      ConfigService,
      { token: RedisConnection, optional: true },
      { token: RedisKeys, optional: true },
    ],
  },
  redis: {
    provide: RateLimits,
    useFactory: (
      config: AppConfigService,
      redis: RedisConnection,
      keys: RedisKeys,
    ) =>
      rateLimits(
        config,
        (limits) => new RedisRateLimiter(redis.client, keys, limits),
      ),
    inject: [ConfigService, RedisConnection, RedisKeys],
  },
};
