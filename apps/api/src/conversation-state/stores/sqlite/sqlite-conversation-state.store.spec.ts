import { SqliteMessageStore } from '../../../messaging/stores/sqlite/sqlite-message.store';
import type { SqliteDatabase } from '../../../shared/sqlite/sqlite-database';
import { useSqliteFiles } from '../../../testing/store-backends';
import {
  conversationStateStoreContract,
  type ConversationStores,
} from '../conversation-state.store.contract';
import { SqliteConversationStateStore } from './sqlite-conversation-state.store';

// The contract suite against real files in a temporary folder, one database per test.
const files = useSqliteFiles();

const storesOn = (database: SqliteDatabase): ConversationStores => {
  const messages = new SqliteMessageStore(database);
  return {
    messages,
    state: new SqliteConversationStateStore(database, messages),
  };
};

// Each pair of stores' database, to reopen its file as after a restart.
const databaseOf = new Map<ConversationStores, SqliteDatabase>();
conversationStateStoreContract(
  'sqlite',
  () => {
    const database = files.open();
    const stores = storesOn(database);
    databaseOf.set(stores, database);
    return stores;
  },
  (stores) => void databaseOf.delete(stores),
  {
    reopen: (stores) => {
      const database = databaseOf.get(stores);
      if (!database) throw new Error('not stores of this suite');
      database.close();
      return storesOn(files.open(database.path));
    },
  },
);
