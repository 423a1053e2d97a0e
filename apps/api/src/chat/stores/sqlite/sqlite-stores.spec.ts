import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageStoreContract } from '../message.store.contract';
import { sessionStoreContract } from '../session.store.contract';
import { SqliteDatabase } from './sqlite-database';
import { SqliteMessageStore } from './sqlite-message.store';
import { SqliteSessionStore } from './sqlite-session.store';

// The contract suites against real files in a temporary folder, one database per test.
let dir: string;
let n = 0;
const open: SqliteDatabase[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'chat-sqlite-'));
});

afterEach(() => {
  for (const database of open.splice(0)) database.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openDatabase(): SqliteDatabase {
  n += 1;
  const database = SqliteDatabase.open(join(dir, `contract-${n}.sqlite`));
  open.push(database);
  return database;
}

sessionStoreContract(
  'sqlite',
  (options) => new SqliteSessionStore(openDatabase(), options),
);
messageStoreContract('sqlite', () => new SqliteMessageStore(openDatabase()));

// What the message store remembers between writes (its known conversations, the batch's latest
// id) must follow what is committed, also when a batch is rolled back.
describe('SqliteMessageStore and rolled-back batches', () => {
  const message = (id: number, from: string, to: string) => ({
    id: `01JZ${String(id).padStart(22, '0')}`,
    content: `m${id}`,
    from,
    to,
    at: new Date(Date.UTC(2025, 0, 1, 0, 0, id)).toISOString(),
  });

  it('still stores the conversation and the latest id of a message retried alone', async () => {
    const database = openDatabase();
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
});
