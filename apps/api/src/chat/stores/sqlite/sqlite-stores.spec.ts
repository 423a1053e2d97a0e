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
