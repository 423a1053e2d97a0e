import type { Message } from '@chat/contracts';
import { useSqliteFiles } from '../../../testing/store-backends';
import type { MessageStore } from '../message.store';
import { messageStoreContract } from '../message.store.contract';
import { SqliteMessageStore } from './sqlite-message.store';
import type { SqliteDatabase } from '../../../shared/sqlite/sqlite-database';

// The contract suite against real files in a temporary folder, one database per test.
const files = useSqliteFiles();

// Each message store's database, to reopen its file as after a restart.
const databaseOf = new Map<MessageStore, SqliteDatabase>();
messageStoreContract(
  'sqlite',
  () => {
    const database = files.open();
    const store = new SqliteMessageStore(database);
    databaseOf.set(store, database);
    return store;
  },
  (store) => void databaseOf.delete(store),
  {
    reopen: (store) => {
      const database = databaseOf.get(store);
      if (!database) throw new Error('not a store of this suite');
      database.close();
      return new SqliteMessageStore(files.open(database.path));
    },
  },
);

// What the message store remembers between writes (its known conversations, the batch's latest
// id) must follow what is committed, also when a batch is rolled back.
describe('SqliteMessageStore and rolled-back batches', () => {
  const message = (
    id: number,
    from: string,
    to: string,
    clientMessageId?: string,
  ): Message => ({
    id: `01JZ${String(id).padStart(22, '0')}`,
    content: `m${id}`,
    from,
    to,
    at: new Date(Date.UTC(2025, 0, 1, 0, 0, id)).toISOString(),
    ...(clientMessageId !== undefined && { clientMessageId }),
  });

  it('still stores the conversation and the latest id of a message retried alone', async () => {
    const database = files.open();
    const store = new SqliteMessageStore(database);
    const results = await Promise.allSettled([
      store.saveMessage(message(1, 'alice', 'bob')),
      // The same id again: its batch is rolled back, and each write retried alone.
      store.saveMessage(message(1, 'alice', 'bob')),
      store.saveMessage(message(2, 'carol', 'dave')),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(
      (await store.findRecentConversations('bob', 10)).map((c) => c.peerID),
    ).toEqual(['alice']);
    expect(
      (await store.findRecentConversations('dave', 10)).map((c) => c.peerID),
    ).toEqual(['carol']);
    expect(await store.findLatestMessageID()).toBe(message(2, 'x', 'y').id);
  });

  it('stores a message with a clientMessageId once, also when its batch is rolled back and retried', async () => {
    const database = files.open();
    const store = new SqliteMessageStore(database);
    const results = await Promise.allSettled([
      store.saveMessage(message(1, 'alice', 'bob', 'k')),
      // A repeat in the same batch, then a write that fails it (the same conversation and id).
      store.saveMessage(message(2, 'alice', 'bob', 'k')),
      store.saveMessage(message(1, 'bob', 'alice')),
      store.saveMessage(message(3, 'alice', 'bob', 'k')),
    ]);
    expect(results).toEqual([
      { status: 'fulfilled', value: message(1, 'alice', 'bob', 'k') },
      { status: 'fulfilled', value: message(1, 'alice', 'bob', 'k') },
      {
        status: 'rejected',
        // Not expect.any(Error): better-sqlite3's errors may come from another realm under Jest.
        reason: expect.objectContaining({
          code: 'SQLITE_CONSTRAINT_PRIMARYKEY',
        }),
      },
      { status: 'fulfilled', value: message(1, 'alice', 'bob', 'k') },
    ]);
    expect(
      database.db
        .prepare('SELECT id, client_id FROM messages ORDER BY id')
        .all(),
    ).toEqual([{ id: message(1, 'x', 'y').id, client_id: 'k' }]);
    // Only ids that were stored: not the repeats' 2 and 3.
    expect(await store.findLatestMessageID()).toBe(message(1, 'x', 'y').id);
  });
});
