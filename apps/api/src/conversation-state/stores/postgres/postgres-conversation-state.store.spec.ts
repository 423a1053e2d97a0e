import { PostgresMessageStore } from '../../../messaging/stores/postgres/postgres-message.store';
import type { PostgresDatabase } from '../../../shared/postgres/postgres-database';
import { usePostgres } from '../../../testing/store-backends';
import {
  conversationStateStoreContract,
  type ConversationStores,
} from '../conversation-state.store.contract';
import { PostgresConversationStateStore } from './postgres-conversation-state.store';

// The contract suite against a real PostgreSQL, one schema per test.
const postgres = usePostgres();

const storesOn = (database: PostgresDatabase): ConversationStores => ({
  messages: new PostgresMessageStore(database),
  state: new PostgresConversationStateStore(database),
});

// Each pair of stores' database, to open its schema again as after a restart or on another node.
const databaseOf = new Map<ConversationStores, PostgresDatabase>();
conversationStateStoreContract(
  'postgres',
  async () => {
    const database = await postgres.open();
    const stores = storesOn(database);
    databaseOf.set(stores, database);
    return stores;
  },
  (stores) => void databaseOf.delete(stores),
  {
    reopen: async (stores) => {
      const database = databaseOf.get(stores);
      if (!database) throw new Error('not stores of this suite');
      return storesOn(await postgres.open(postgres.urlOf(database)));
    },
  },
);
