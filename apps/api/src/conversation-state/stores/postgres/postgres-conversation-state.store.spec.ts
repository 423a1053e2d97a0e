import type { Message } from '@chat/contracts';
import { sql } from 'kysely';
import { PostgresMessageStore } from '../../../messaging/stores/postgres/postgres-message.store';
import type { PostgresDatabase } from '../../../shared/postgres/postgres-database';
import { usePostgres } from '../../../testing/store-backends';
import type { MarkerUpdate } from '../conversation-state.store';
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

describe('PostgresConversationStateStore batches', () => {
  const id = (n: number) => `01JZ${String(n).padStart(22, '0')}`;
  const message = (n: number, from: string, to: string): Message => ({
    id: id(n),
    content: `m${n}`,
    from,
    to,
    at: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(),
  });
  // Moves, repeats, refusals and a marker behind, several for one reader and peer.
  const updates: MarkerUpdate[] = [
    { reader: 'bob', peer: 'alice', delivered: id(1), publicRead: true },
    { reader: 'bob', peer: 'alice', read: id(0), publicRead: false },
    { reader: 'bob', peer: 'alice', read: id(10), publicRead: true },
    { reader: 'bob', peer: 'alice', read: id(2), publicRead: true },
    { reader: 'alice', peer: 'bob', read: id(10), publicRead: true },
    { reader: 'bob', peer: 'alice', read: id(1), publicRead: true },
    { reader: 'carol', peer: 'alice', delivered: id(0), publicRead: true },
    { reader: 'bob', peer: 'alice', delivered: id(3), publicRead: true },
  ];

  /** The updates on a fresh schema, in one turn or one after the other; results and states. */
  async function apply(together: boolean) {
    const database = await postgres.open();
    const { messages, state } = storesOn(database);
    for (const n of [0, 1, 2, 3])
      await messages.saveMessage(message(n, 'alice', 'bob'));
    await messages.saveMessage(message(10, 'bob', 'alice'));
    const results = [];
    if (together)
      results.push(
        ...(await Promise.all(updates.map((u) => state.updateMarkers(u)))),
      );
    else for (const u of updates) results.push(await state.updateMarkers(u));
    const states = [
      ...(await state.findStates('bob', ['alice'])),
      ...(await state.findStates('alice', ['bob'])),
    ];
    const { rows } = await sql<{ n: number }>`
      SELECT count(DISTINCT xmin::text)::int AS n FROM markers`.execute(
      database.db,
    );
    return { results, states, transactions: rows[0].n };
  }

  it('answers the receipts of one turn as if applied one after the other, in one transaction', async () => {
    const together = await apply(true);
    const { transactions, ...alone } = await apply(false);
    expect({ ...together, transactions: undefined }).toEqual({
      ...alone,
      transactions: undefined,
    });
    expect(together.results[2]).toEqual({ ok: false });
    expect(together.results[3]).toEqual({
      ok: true,
      moved: { delivered: id(2), read: id(2), publicRead: id(2) },
      unread: 1,
    });
    expect(together.results[6]).toEqual({ ok: false });
    expect(together.transactions).toBe(1);
    expect(transactions).toBeGreaterThan(1);
  });
});
