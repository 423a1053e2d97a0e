import { Logger } from '@nestjs/common';
import { RedisConnection } from '../../shared/redis/redis-connection';
import { RedisKeys } from '../../shared/redis/redis-keys';
import { SqliteDatabase } from '../../shared/sqlite/sqlite-database';
import type { StoreBackends } from '../../shared/store-backends';
import { MemoryMessageStore } from './memory/memory-message.store';
import { MessageStore } from './message.store';
import { RedisMessageStore } from './redis/redis-message.store';
import { SqliteMessageStore } from './sqlite/sqlite-message.store';
import { PostgresDatabase } from '../../shared/postgres/postgres-database';
import { PostgresMessageStore } from './postgres/postgres-message.store';

/** `MessageStore` on each backend. */
export const messageStoreBackends: StoreBackends = {
  memory: { provide: MessageStore, useFactory: () => new MemoryMessageStore() },
  sqlite: {
    provide: MessageStore,
    useFactory: (database: SqliteDatabase) => new SqliteMessageStore(database),
    inject: [SqliteDatabase],
  },
  postgres: {
    provide: MessageStore,
    useFactory: (database: PostgresDatabase) =>
      new PostgresMessageStore(database),
    inject: [PostgresDatabase],
  },
  redis: {
    provide: MessageStore,
    // Messages stored by an earlier version get their `received` index once, at start.
    useFactory: async (redis: RedisConnection, keys: RedisKeys) => {
      const store = new RedisMessageStore(redis.client, keys);
      const indexed = await store.indexReceivedMessages();
      if (indexed > 0)
        new Logger('RedisStores').log(
          `indexed ${indexed} stored message(s) for unread counts`,
        );
      return store;
    },
    inject: [RedisConnection, RedisKeys],
  },
};
