import { Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfigService } from '../../../config/app-config.module';
import { RedisConnection } from '../../../shared/redis/redis-connection';
import { Clock } from '../../../shared/clock';
import { MessageStore } from '../../../messaging/stores/message.store';
import { PresenceStore } from '../../../presence/stores/presence.store';
import { SessionStore } from '../../../sessions/stores/session.store';
import { RedisKeys } from '../../../shared/redis/redis-keys';
import { RedisMessageStore } from '../../../messaging/stores/redis/redis-message.store';
import { RedisPresenceStore } from '../../../presence/stores/redis/redis-presence.store';
import { RedisSessionStore } from '../../../sessions/stores/redis/redis-session.store';

/**
 * `STORE=redis`: sessions, messages and presence in Redis (REDIS_URL), every key under
 * REDIS_PREFIX, shared by every api node of the deployment. The connection comes from the global
 * RedisModule (connected before the app is built, closed last on shutdown).
 */
@Module({
  providers: [
    {
      provide: RedisKeys,
      useFactory: (redis: RedisConnection) => {
        new Logger('RedisStores').log(
          `messages, sessions and presence in Redis at ${redis.displayUrl}, keys starting with ${redis.prefix}`,
        );
        return new RedisKeys(redis.prefix);
      },
      inject: [RedisConnection],
    },
    {
      provide: SessionStore,
      useFactory: (
        redis: RedisConnection,
        keys: RedisKeys,
        config: AppConfigService,
        clock: Clock,
      ) =>
        new RedisSessionStore(redis.client, keys, {
          ttlMs: config.get('sessionTtlMs', { infer: true }),
          clock,
        }),
      inject: [RedisConnection, RedisKeys, ConfigService, Clock],
    },
    {
      provide: MessageStore,
      useFactory: (redis: RedisConnection, keys: RedisKeys) =>
        new RedisMessageStore(redis.client, keys),
      inject: [RedisConnection, RedisKeys],
    },
    {
      provide: PresenceStore,
      useFactory: (
        redis: RedisConnection,
        keys: RedisKeys,
        config: AppConfigService,
      ) =>
        new RedisPresenceStore(redis.client, keys, {
          nodeTimeoutMs: config.get('presenceNodeTimeoutMs', { infer: true }),
        }),
      inject: [RedisConnection, RedisKeys, ConfigService],
    },
  ],
  exports: [SessionStore, MessageStore, PresenceStore],
})
export class RedisStoresModule {}
