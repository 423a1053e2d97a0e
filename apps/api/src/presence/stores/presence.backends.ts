import { ConfigService } from '@nestjs/config';
import type { AppConfigService } from '../../config/app-config.module';
import { RedisConnection } from '../../shared/redis/redis-connection';
import { RedisKeys } from '../../shared/redis/redis-keys';
import type { StoreBackends } from '../../shared/store-backends';
import { MemoryPresenceStore } from './memory/memory-presence.store';
import { PresenceStore } from './presence.store';
import { RedisPresenceStore } from './redis/redis-presence.store';

const redisPresence = (
  redis: RedisConnection,
  keys: RedisKeys,
  config: AppConfigService,
) =>
  new RedisPresenceStore(redis.client, keys, {
    nodeTimeoutMs: config.get('presenceNodeTimeoutMs', { infer: true }),
  });

/**
 * `PresenceStore` on each backend. A store of one process (memory, SQLite: one api process per
 * file) keeps presence in memory; a store shared by several nodes needs a shared one.
 */
export const presenceStoreBackends: StoreBackends = {
  memory: {
    provide: PresenceStore,
    useFactory: () => new MemoryPresenceStore(),
  },
  sqlite: {
    provide: PresenceStore,
    useFactory: () => new MemoryPresenceStore(),
  },
  redis: {
    provide: PresenceStore,
    useFactory: redisPresence,
    inject: [RedisConnection, RedisKeys, ConfigService],
  },
  // Several nodes share presence through Redis (REDIS_URL); without it there is one node.
  postgres: {
    provide: PresenceStore,
    useFactory: (
      redis: RedisConnection | undefined,
      keys: RedisKeys | undefined,
      config: AppConfigService,
    ) =>
      redis && keys
        ? redisPresence(redis, keys, config)
        : new MemoryPresenceStore(),
    inject: [
      { token: RedisConnection, optional: true },
      { token: RedisKeys, optional: true },
      ConfigService,
    ],
  },
};
