import type { Message } from '@chat/contracts';
import { sql } from 'kysely';
import { MIGRATIONS } from '../../../shared/postgres/migrations';
import { PostgresDatabase } from '../../../shared/postgres/postgres-database';
import { usePostgres } from '../../../testing/store-backends';
import type { MessageStore } from '../message.store';
import { messageStoreContract } from '../message.store.contract';
import { PostgresMessageStore } from './postgres-message.store';

// The contract suite against a real PostgreSQL, one schema per test.
const postgres = usePostgres();

// Each message store's database, to open its schema again as after a restart or on another node.
const databaseOf = new Map<MessageStore, PostgresDatabase>();
messageStoreContract(
  'postgres',
  async () => {
    const database = await postgres.open();
    const store = new PostgresMessageStore(database);
    databaseOf.set(store, database);
    return store;
  },
  (store) => void databaseOf.delete(store),
  {
    reopen: async (store) => {
      const database = databaseOf.get(store);
      if (!database) throw new Error('not a store of this suite');
      return new PostgresMessageStore(
        await postgres.open(postgres.urlOf(database)),
      );
    },
  },
);

describe('PostgresMessageStore batches', () => {
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

  it('writes the saves of one turn in one statement, and rejects only a save that fails', async () => {
    const database = await postgres.open();
    const store = new PostgresMessageStore(database);
    const results = await Promise.allSettled([
      store.saveMessage(message(1, 'alice', 'bob', 'k')),
      // A repeat of the key in the same batch, then a write that fails it (the same id).
      store.saveMessage(message(2, 'alice', 'bob', 'k')),
      store.saveMessage(message(1, 'bob', 'alice')),
      store.saveMessage(message(3, 'carol', 'dave')),
    ]);
    expect(results).toEqual([
      { status: 'fulfilled', value: message(1, 'alice', 'bob', 'k') },
      { status: 'fulfilled', value: message(1, 'alice', 'bob', 'k') },
      {
        status: 'rejected',
        reason: expect.objectContaining({ code: '23505' }),
      },
      { status: 'fulfilled', value: message(3, 'carol', 'dave') },
    ]);
    expect(
      (await store.findRecentConversations('bob', 10)).map((c) => c.peerID),
    ).toEqual(['alice']);
    expect(await store.findLatestMessageID()).toBe(message(3, 'x', 'y').id);

    // A row's xmin is the transaction that inserted it.
    const many = Array.from({ length: 100 }, (_, i) =>
      message(10 + i, 'erin', 'frank'),
    );
    await Promise.all(many.map((m) => store.saveMessage(m)));
    const { rows } = await sql<{ n: number }>`
      SELECT count(DISTINCT xmin::text)::int AS n FROM messages
      WHERE sender = 'erin'`.execute(database.db);
    expect(rows[0].n).toBe(1);
  });

  it('keeps the latest id across batches of several nodes, and across the move from the index to meta', async () => {
    // A database as the first version left it: the latest id from the messages_id index.
    const url = await postgres.newSchema();
    const first = await PostgresDatabase.open(url, undefined, {
      '0001_chat': MIGRATIONS['0001_chat'],
    });
    await new PostgresMessageStore(first).saveMessage(message(7, 'ann', 'bo'));
    await first.close();

    const [a, b] = [await postgres.open(url), await postgres.open(url)];
    const [nodeA, nodeB] = [a, b].map((db) => new PostgresMessageStore(db));
    expect(await nodeA.findLatestMessageID()).toBe(message(7, 'x', 'y').id);
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_indexes
      WHERE schemaname = current_schema() AND indexname = 'messages_id'`.execute(
      a.db,
    );
    expect(rows[0].n).toBe(0);

    // Older ids saved later change nothing; every node reads the greatest of all nodes' batches.
    for (let i = 0; i < 20; i++)
      await Promise.all([
        nodeA.saveMessage(message(100 + 2 * i, 'ann', 'bo')),
        nodeB.saveMessage(message(101 + 2 * i, 'bo', 'ann')),
      ]);
    await nodeA.saveMessage(message(1, 'cy', 'di'));
    expect(await nodeB.findLatestMessageID()).toBe(message(139, 'x', 'y').id);
    expect(await nodeA.findLatestMessageID()).toBe(message(139, 'x', 'y').id);
  });
});
