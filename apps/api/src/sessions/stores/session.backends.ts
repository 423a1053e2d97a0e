import { ConfigService } from '@nestjs/config';
import type { AppConfigService } from '../../config/app-config.module';
import { Clock } from '../../shared/clock';
import { RedisConnection } from '../../shared/redis/redis-connection';
import { RedisKeys } from '../../shared/redis/redis-keys';
import { SqliteDatabase } from '../../shared/sqlite/sqlite-database';
import type { StoreBackends } from '../../shared/store-backends';
import { MemorySessionStore } from './memory/memory-session.store';
import { RedisSessionStore } from './redis/redis-session.store';
import { SessionStore } from './session.store';
import { SqliteSessionStore } from './sqlite/sqlite-session.store';
import { PostgresDatabase } from '../../shared/postgres/postgres-database';
import { PostgresSessionStore } from './postgres/postgres-session.store';

const ttlMs = (config: AppConfigService) =>
  config.get('sessionTtlMs', { infer: true });

/** `SessionStore` on each backend; expiry (SESSION_TTL) is the store's job, measured with `Clock`. */
export const sessionStoreBackends: StoreBackends = {
  memory: {
    provide: SessionStore,
    useFactory: (config: AppConfigService, clock: Clock) =>
      new MemorySessionStore({ ttlMs: ttlMs(config), clock }),
    inject: [ConfigService, Clock],
  },
  sqlite: {
    provide: SessionStore,
    // One api process per file: at start every session is marked not connected, since no socket
    // can be open yet.
    useFactory: async (
      database: SqliteDatabase,
      config: AppConfigService,
      clock: Clock,
    ) => {
      const store = new SqliteSessionStore(database, {
        ttlMs: ttlMs(config),
        clock,
      });
      await store.disconnectAll();
      return store;
    },
    inject: [SqliteDatabase, ConfigService, Clock],
  },
  postgres: {
    provide: SessionStore,
    // Without Redis there is one api node: at start no socket can be open, as with SQLite. With
    // Redis, the presence sweep saves the sessions of a node that died.
    useFactory: async (
      database: PostgresDatabase,
      config: AppConfigService,
      clock: Clock,
    ) => {
      const store = new PostgresSessionStore(database, {
        ttlMs: ttlMs(config),
        clock,
      });
      if (!config.get('useRedis', { infer: true })) await store.disconnectAll();
      return store;
    },
    inject: [PostgresDatabase, ConfigService, Clock],
  },
  redis: {
    provide: SessionStore,
    useFactory: (
      redis: RedisConnection,
      keys: RedisKeys,
      config: AppConfigService,
      clock: Clock,
    ) =>
      new RedisSessionStore(redis.client, keys, {
        ttlMs: ttlMs(config),
        clock,
      }),
    inject: [RedisConnection, RedisKeys, ConfigService, Clock],
  },
};
