import { MemoryMessageStore } from '../../messaging/stores/memory/memory-message.store';
import { MessageStore } from '../../messaging/stores/message.store';
import { SqliteMessageStore } from '../../messaging/stores/sqlite/sqlite-message.store';
import { RedisConnection } from '../../shared/redis/redis-connection';
import { RedisKeys } from '../../shared/redis/redis-keys';
import { SqliteDatabase } from '../../shared/sqlite/sqlite-database';
import type { StoreBackends } from '../../shared/store-backends';
import { ConversationStateStore } from './conversation-state.store';
import { MemoryConversationStateStore } from './memory/memory-conversation-state.store';
import { RedisConversationStateStore } from './redis/redis-conversation-state.store';
import { SqliteConversationStateStore } from './sqlite/sqlite-conversation-state.store';
import { PostgresDatabase } from '../../shared/postgres/postgres-database';
import { PostgresConversationStateStore } from './postgres/postgres-conversation-state.store';

/** The message store a backend's conversation state reads, or a clear error at start. */
function messageStoreOf<T extends MessageStore>(
  messages: MessageStore,
  kind: abstract new (...args: never[]) => T,
): T {
  if (messages instanceof kind) return messages;
  throw new Error(
    `conversation state needs the ${kind.name} of its backend, not ${messages.constructor.name}`,
  );
}

/**
 * `ConversationStateStore` on each backend: beside that backend's message store, whose messages
 * it checks receipts against and counts unread messages in.
 */
export const conversationStateStoreBackends: StoreBackends = {
  memory: {
    provide: ConversationStateStore,
    useFactory: (messages: MessageStore) =>
      new MemoryConversationStateStore(
        messageStoreOf(messages, MemoryMessageStore),
      ),
    inject: [MessageStore],
  },
  sqlite: {
    provide: ConversationStateStore,
    useFactory: (database: SqliteDatabase, messages: MessageStore) =>
      new SqliteConversationStateStore(
        database,
        messageStoreOf(messages, SqliteMessageStore),
      ),
    inject: [SqliteDatabase, MessageStore],
  },
  postgres: {
    provide: ConversationStateStore,
    useFactory: (database: PostgresDatabase) =>
      new PostgresConversationStateStore(database),
    inject: [PostgresDatabase],
  },
  redis: {
    provide: ConversationStateStore,
    useFactory: (redis: RedisConnection, keys: RedisKeys) =>
      new RedisConversationStateStore(redis.client, keys),
    inject: [RedisConnection, RedisKeys],
  },
};
