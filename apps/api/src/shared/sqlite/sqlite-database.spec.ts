import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Message } from '@chat/contracts';
import { eventually } from '@chat/test-support';
import { ManualClock } from '../../testing/manual-clock';
import { IdGenerator } from '../ids';
import { GroupCommit } from './group-commit';
import { MIGRATIONS, migrate, type Migration } from './migrations';
import { SqliteConversationStateStore } from '../../conversation-state/stores/sqlite/sqlite-conversation-state.store';
import { SqliteDatabase } from './sqlite-database';
import { SqliteMessageStore } from '../../messaging/stores/sqlite/sqlite-message.store';
import { SqliteSessionStore } from '../../sessions/stores/sqlite/sqlite-session.store';

describe('SQLite database', () => {
  let dir: string;
  const opened: (SqliteDatabase | Database.Database)[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-sqlite-'));
  });

  afterEach(() => {
    for (const db of opened.splice(0)) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const openAt = (path: string) => {
    const database = SqliteDatabase.open(path);
    opened.push(database);
    return database;
  };
  const raw = (path: string) => {
    const db = new Database(path);
    opened.push(db);
    return db;
  };
  const tables = (db: Database.Database) =>
    db
      .prepare<
        [],
        string
      >("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();

  describe('open', () => {
    it('creates the folder and the file, in WAL mode, with the schema at the latest version', () => {
      const path = join(dir, 'nested', 'deeper', 'chat.sqlite');
      const { db } = openAt(path);
      expect(existsSync(path)).toBe(true);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      // NORMAL is 1.
      expect(db.pragma('synchronous', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(db.pragma('user_version', { simple: true })).toBe(
        MIGRATIONS.length,
      );
      expect(tables(db)).toEqual([
        'conversations',
        'markers',
        'messages',
        'meta',
        'sessions',
      ]);
    });

    it('leaves WAL checkpoints to a worker: a commit never copies pages into the file, the worker soon does', async () => {
      const path = join(dir, 'checkpoint.sqlite');
      const database = openAt(path);
      expect(database.db.pragma('wal_autocheckpoint', { simple: true })).toBe(
        0,
      );
      const before = statSync(path).size;
      // About 2 MB in one commit: far past the automatic checkpoint's threshold (1000 pages).
      await database.write(() =>
        database.db.exec(`
          CREATE TABLE big (x);
          WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
          INSERT INTO big SELECT randomblob(1000) FROM n;
        `),
      );
      expect(statSync(path).size).toBe(before);
      await eventually(
        () => statSync(path).size > before + 1_000_000,
        'the checkpoint',
      );
    });

    it('opens an in-memory database', () => {
      const { db } = openAt(':memory:');
      expect(tables(db)).toContain('messages');
    });

    it('answers the history queries from the primary key, with no temporary sort', () => {
      const { db } = openAt(join(dir, 'plan.sqlite'));
      const plan = (sql: string) =>
        db
          .prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .all({ low: 'a', high: 'b', before: 'z', limit: 5, user: 'a' })
          .map((row) => (row as { detail: string }).detail)
          .join('\n');
      const history = plan(
        `SELECT id FROM messages WHERE low = @low AND high = @high AND id < @before
         ORDER BY id DESC LIMIT @limit`,
      );
      expect(history).toMatch(/SEARCH messages USING PRIMARY KEY/);
      expect(history).not.toMatch(/TEMP B-TREE/);
      expect(
        plan('SELECT peer_id FROM conversations WHERE user_id = @user'),
      ).toMatch(/SEARCH conversations USING PRIMARY KEY/);
      expect(
        plan(
          'SELECT session_id FROM sessions WHERE connected = 0 AND last_seen <= @limit ORDER BY last_seen LIMIT 5',
        ),
      ).toMatch(/sessions_expiry/);
      const directory = plan(
        `SELECT session_id FROM sessions WHERE (name_key, user_id) > (@user, @low)
         AND name_key < @high ORDER BY name_key, user_id LIMIT @limit`,
      );
      expect(directory).toMatch(/sessions_directory/);
      expect(directory).not.toMatch(/TEMP B-TREE/);
      expect(
        plan(
          'SELECT id FROM messages WHERE sender = @user AND client_id = @before',
        ),
      ).toMatch(/SEARCH messages USING (COVERING )?INDEX messages_client_id/);
    });

    it('indexes only the messages sent with a clientMessageId', () => {
      const { db } = openAt(join(dir, 'partial.sqlite'));
      const insert = db.prepare(
        `INSERT INTO messages (low, high, id, sender, recipient, content, at, client_id)
         VALUES ('a', 'b', ?, 'a', 'b', 'hi', 'now', ?)`,
      );
      insert.run('1', null);
      insert.run('2', null);
      insert.run('3', 'k');
      expect(() => insert.run('4', 'k')).toThrow(/UNIQUE/);
      // A partial index holds only its rows: a full scan of it sees one.
      expect(
        db
          .prepare(
            'SELECT count(*) FROM messages INDEXED BY messages_client_id WHERE client_id IS NOT NULL',
          )
          .pluck()
          .get(),
      ).toBe(1);
    });
  });

  describe('migrations', () => {
    const steps: Migration[] = [
      (db) => db.exec('CREATE TABLE one (x)'),
      (db) => db.exec("INSERT INTO one VALUES ('from step 2')"),
    ];

    it('apply every step on an empty file, then nothing on the next open', () => {
      const path = join(dir, 'm.sqlite');
      const db = raw(path);
      expect(migrate(db, steps)).toEqual({ from: 0, to: 2 });
      expect(migrate(db, steps)).toEqual({ from: 2, to: 2 });
      expect(db.prepare('SELECT x FROM one').pluck().all()).toEqual([
        'from step 2',
      ]);
    });

    it('apply only the new steps to an existing database', () => {
      const db = raw(join(dir, 'm.sqlite'));
      migrate(db, steps.slice(0, 1));
      expect(migrate(db, steps)).toEqual({ from: 1, to: 2 });
      expect(db.pragma('user_version', { simple: true })).toBe(2);
      expect(db.prepare('SELECT count(*) FROM one').pluck().get()).toBe(1);
    });

    it('roll back every step of a run when one fails', () => {
      const db = raw(join(dir, 'm.sqlite'));
      const failing: Migration[] = [
        ...steps,
        () => {
          throw new Error('step 3 broke');
        },
      ];
      expect(() => migrate(db, failing)).toThrow('step 3 broke');
      expect(db.pragma('user_version', { simple: true })).toBe(0);
      expect(tables(db)).toEqual([]);
    });

    it('step 2 gives the sessions of a version 1 file their directory place', async () => {
      const path = join(dir, 'v1.sqlite');
      const v1 = raw(path);
      migrate(v1, MIGRATIONS.slice(0, 1));
      v1.prepare(
        `INSERT INTO sessions (session_id, user_id, username, connected, last_seen)
         VALUES ('s1', 'u1', 'Ärger Zed', 0, ${Date.now()}), ('s2', 'u2', 'al', 0, ${Date.now()})`,
      ).run();
      v1.close();
      const database = openAt(path);
      const sessions = new SqliteSessionStore(database);
      const page = await sessions.findDirectory({ limit: 10 });
      expect(page.sessions.map((s) => s.username)).toEqual(['al', 'Ärger Zed']);
      expect(
        (await sessions.findDirectory({ prefix: 'ärg', limit: 10 })).sessions,
      ).toHaveLength(1);
    });

    it('step 3 keeps the messages of a version 2 file, without a clientMessageId', async () => {
      const path = join(dir, 'v2.sqlite');
      const v2 = raw(path);
      migrate(v2, MIGRATIONS.slice(0, 2));
      v2.prepare(
        `INSERT INTO messages (low, high, id, sender, recipient, content, at)
         VALUES ('alice', 'bob', '01JZ0000000000000000000001', 'alice', 'bob', 'old', 'then')`,
      ).run();
      v2.close();
      const database = openAt(path);
      expect(
        database.db.prepare('SELECT client_id FROM messages').pluck().all(),
      ).toEqual([null]);
      const messages = new SqliteMessageStore(database);
      const next: Message = {
        id: '01JZ0000000000000000000002',
        content: 'new',
        from: 'alice',
        to: 'bob',
        at: 'now',
        clientMessageId: 'k',
      };
      expect(await messages.saveMessage(next)).toEqual(next);
      const [old, fresh] = (
        await messages.findMessagesBefore('bob', 'alice', 'Z', 10)
      ).messages;
      expect([old, fresh]).toMatchObject([{ content: 'old' }, next]);
      expect('clientMessageId' in old).toBe(false);
    });

    it('step 4 gives the sessions of a version 3 file the default settings', async () => {
      const path = join(dir, 'v3.sqlite');
      const v3 = raw(path);
      migrate(v3, MIGRATIONS.slice(0, 3));
      v3.prepare(
        `INSERT INTO sessions (session_id, user_id, username, connected, last_seen, name_key)
         VALUES ('s1', 'u1', 'al', 1, ${Date.now()}, 'al')`,
      ).run();
      v3.close();
      const sessions = new SqliteSessionStore(openAt(path));
      expect(await sessions.findSettings(['u1'])).toEqual(
        new Map([['u1', { readReceipts: true, typing: true }]]),
      );
    });

    it('step 5 counts the messages of a version 4 file as unread, each for its recipient', async () => {
      const path = join(dir, 'v4.sqlite');
      const v4 = raw(path);
      migrate(v4, MIGRATIONS.slice(0, 4));
      const insert = v4.prepare<[string, string, string, string, string]>(
        `INSERT INTO messages (low, high, id, sender, recipient, content, at)
         VALUES (?, ?, ?, ?, ?, 'old', 'then')`,
      );
      const peers = v4.prepare<[string, string]>(
        'INSERT OR IGNORE INTO conversations (user_id, peer_id) VALUES (?, ?)',
      );
      for (const [n, from, to] of [
        [1, 'alice', 'bob'],
        [2, 'alice', 'bob'],
        [3, 'bob', 'alice'],
        [4, 'alice', 'bob'],
        [5, 'carol', 'alice'],
      ] as const) {
        const [low, high] = from < to ? [from, to] : [to, from];
        insert.run(low, high, `01JZ000000000000000000000${n}`, from, to);
        peers.run(from, to);
        peers.run(to, from);
      }
      v4.close();
      const database = openAt(path);
      const state = new SqliteConversationStateStore(
        database,
        new SqliteMessageStore(database),
      );
      expect(await state.findStates('bob', ['alice'])).toEqual([
        { peerID: 'alice', unread: 3 },
      ]);
      expect(
        (await state.findStates('alice', ['bob', 'carol'])).sort((a, b) =>
          a.peerID.localeCompare(b.peerID),
        ),
      ).toEqual([
        { peerID: 'bob', unread: 1 },
        { peerID: 'carol', unread: 1 },
      ]);
    });

    it('refuse a database made by a newer version', () => {
      const path = join(dir, 'newer.sqlite');
      const db = raw(path);
      db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
      expect(() => SqliteDatabase.open(path)).toThrow(/newer than this api/);
    });

    it('keep the real schema idempotent: reopening an existing file changes nothing', () => {
      const path = join(dir, 'chat.sqlite');
      const first = openAt(path);
      const schema = first.db
        .prepare('SELECT sql FROM sqlite_schema ORDER BY name')
        .pluck()
        .all();
      first.close();
      const second = openAt(path);
      expect(
        second.db
          .prepare('SELECT sql FROM sqlite_schema ORDER BY name')
          .pluck()
          .all(),
      ).toEqual(schema);
    });
  });

  describe('reopening the same file', () => {
    it('keeps sessions, messages and their order, and ids keep growing past the stored ones', async () => {
      const path = join(dir, 'chat.sqlite');
      const clock = new ManualClock();
      let database = openAt(path);
      let sessions = new SqliteSessionStore(database, {
        clock,
        ttlMs: 60_000,
      });
      let messages = new SqliteMessageStore(database);
      const ids = new IdGenerator(() => clock.now());
      const sent: Message[] = [];
      await sessions.saveSession({
        sessionID: 'sa',
        userID: 'alice',
        username: 'Alice',
        connected: true,
        lastSeen: clock.now(),
      });
      await sessions.saveSession({
        sessionID: 'sb',
        userID: 'bob',
        username: 'Bob',
        connected: false,
        lastSeen: clock.now(),
      });
      for (let i = 0; i < 5; i++) {
        const from = i % 2 ? 'bob' : 'alice';
        const message: Message = {
          id: ids.messageID(),
          content: `m${i}`,
          from,
          to: from === 'bob' ? 'alice' : 'bob',
          at: new Date(clock.now()).toISOString(),
        };
        await messages.saveMessage(message);
        sent.push(message);
      }
      database.close();

      // The clock went back an hour meanwhile.
      clock.advance(-3_600_000);
      database = openAt(path);
      sessions = new SqliteSessionStore(database, { clock, ttlMs: 60_000 });
      messages = new SqliteMessageStore(database);
      expect(await sessions.findAllSessions()).toEqual([
        {
          sessionID: 'sa',
          userID: 'alice',
          username: 'Alice',
          connected: true,
          lastSeen: clock.now() + 3_600_000,
        },
        {
          sessionID: 'sb',
          userID: 'bob',
          username: 'Bob',
          connected: false,
          lastSeen: clock.now() + 3_600_000,
        },
      ]);
      expect(await messages.findRecentConversations('bob', 10)).toEqual([
        { peerID: 'alice', messages: sent, hasMore: false },
      ]);
      const restarted = new IdGenerator(() => clock.now());
      restarted.seedMessageID(await messages.findLatestMessageID());
      const next = restarted.messageID();
      expect(next > sent[4].id).toBe(true);
    });

    it('marks every session not connected, seen now, when the stores start (disconnectAll)', async () => {
      const clock = new ManualClock();
      const database = openAt(join(dir, 'chat.sqlite'));
      const sessions = new SqliteSessionStore(database, {
        clock,
        ttlMs: 60_000,
      });
      const base = {
        username: 'x',
        connected: true,
        lastSeen: clock.now() - 120_000,
      };
      await sessions.saveSession({ ...base, sessionID: 's1', userID: 'u1' });
      await sessions.saveSession({
        ...base,
        sessionID: 's2',
        userID: 'u2',
        connected: false,
      });
      expect(await sessions.disconnectAll()).toBe(1);
      expect(await sessions.findAllSessions()).toEqual([
        {
          ...base,
          sessionID: 's1',
          userID: 'u1',
          connected: false,
          lastSeen: clock.now(),
        },
      ]);
    });
  });

  describe('group commit', () => {
    const setup = (maxBatch?: number) => {
      const path = join(dir, 'g.sqlite');
      const db = raw(path);
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      const commits = new GroupCommit(db, maxBatch);
      const insert = db.prepare<[number, string]>(
        'INSERT INTO t (id, v) VALUES (?, ?)',
      );
      // Another connection sees only what is committed.
      const reader = raw(path);
      const count = () =>
        reader.prepare<[], number>('SELECT count(*) FROM t').pluck().get();
      return { db, commits, insert, count };
    };

    it('commits every write of one turn in one transaction, and resolves only after the commit', async () => {
      const { db, commits, insert, count } = setup();
      const inTransaction: boolean[] = [];
      const writes = [1, 2, 3].map((id) =>
        commits.run(() => {
          inTransaction.push(db.inTransaction);
          return insert.run(id, `v${id}`).changes;
        }),
      );
      // Nothing has run yet: the batch waits for the end of the turn.
      expect(count()).toBe(0);
      expect(commits.size).toBe(3);
      const committed: (number | undefined)[] = [];
      for (const write of writes)
        void write.then(() => committed.push(count()));
      expect(await Promise.all(writes)).toEqual([1, 1, 1]);
      expect(inTransaction).toEqual([true, true, true]);
      // Every promise settled after all three rows were committed together.
      expect(committed).toEqual([3, 3, 3]);
      expect(db.inTransaction).toBe(false);
    });

    it('commits a batch as soon as it is full, within the write that filled it; the next batch waits for the turn', async () => {
      const { commits, insert, count } = setup(2);
      const writes = [1, 2, 3].map((id) =>
        commits.run(() => insert.run(id, `v${id}`).changes),
      );
      // The first two were committed when the second was asked for; the third waits.
      expect(count()).toBe(2);
      expect(commits.size).toBe(1);
      expect(await Promise.all(writes)).toEqual([1, 1, 1]);
      expect(count()).toBe(3);
    });

    it('never commits a full batch from within a write: a write asked for by a write waits for the next batch', async () => {
      const { commits, insert, count } = setup(1);
      let inner: Promise<unknown> | undefined;
      const outer = commits.run(() => {
        inner = commits.run(() => insert.run(2, 'inner'));
        return insert.run(1, 'outer');
      });
      expect(count()).toBe(1);
      await outer;
      await inner;
      expect(count()).toBe(2);
    });

    it('makes separate batches for separate turns, in order', async () => {
      const { commits, insert, db } = setup();
      await commits.run(() => insert.run(1, 'a'));
      await commits.run(() => insert.run(2, 'b'));
      expect(
        db.prepare('SELECT v FROM t ORDER BY rowid').pluck().all(),
      ).toEqual(['a', 'b']);
    });

    it('rejects only the write that fails, and keeps the others of its batch', async () => {
      const { commits, insert, db } = setup();
      const results = await Promise.allSettled([
        commits.run(() => insert.run(1, 'first')),
        commits.run(() => insert.run(1, 'duplicate')),
        commits.run(() => insert.run(2, 'third')),
      ]);
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      expect((results[1] as PromiseRejectedResult).reason.code).toBe(
        'SQLITE_CONSTRAINT_PRIMARYKEY',
      );
      expect(db.prepare('SELECT v FROM t ORDER BY id').pluck().all()).toEqual([
        'first',
        'third',
      ]);
    });

    it('rejects every write of a batch whose commit cannot succeed, and writes nothing', async () => {
      const { commits, insert, db, count } = setup();
      // A read-only database fails every write, as a full disk would.
      db.pragma('query_only = ON');
      const results = await Promise.allSettled([
        commits.run(() => insert.run(1, 'a')),
        commits.run(() => insert.run(2, 'b')),
      ]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      db.pragma('query_only = OFF');
      expect(count()).toBe(0);
      // And the next batch works again.
      await commits.run(() => insert.run(3, 'c'));
      expect(count()).toBe(1);
    });

    it('runs an end-of-batch step once per transaction, after its writes, inside it', async () => {
      const { db, commits, insert, count } = setup();
      const seen: number[] = [];
      const step = () => {
        expect(db.inTransaction).toBe(true);
        seen.push(count() ?? -1);
        insert.run(100 + seen.length, 'step');
      };
      await Promise.all(
        [1, 2, 3].map((id) =>
          commits.run(() => {
            insert.run(id, `v${id}`);
            commits.atEndOfBatch(step);
          }),
        ),
      );
      // Once, after the three writes, committed with them (the reader saw none of them before).
      expect(seen).toEqual([0]);
      expect(count()).toBe(4);
      // The next batch starts without it.
      await commits.run(() => insert.run(4, 'v4'));
      expect(count()).toBe(5);
    });

    it('tells rollback listeners when a batch is rolled back, before its writes are retried', async () => {
      const { commits, insert, db } = setup();
      const events: string[] = [];
      commits.onRollback(() => events.push('rollback'));
      const write = (id: number, v: string) =>
        commits.run(() => {
          events.push(`write ${v}`);
          insert.run(id, v);
        });
      const results = await Promise.allSettled([
        write(1, 'a'),
        write(1, 'duplicate'),
        write(2, 'b'),
      ]);
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      expect(events).toEqual([
        'write a',
        'write duplicate',
        'rollback',
        'write a',
        'write duplicate',
        'rollback',
        'write b',
      ]);
      expect(db.prepare('SELECT v FROM t ORDER BY id').pluck().all()).toEqual([
        'a',
        'b',
      ]);
      // A step asked for by a rolled-back write does not outlive its transaction.
      let stepRuns = 0;
      const step = () => void (stepRuns += 1);
      await Promise.allSettled([
        commits.run(() => {
          commits.atEndOfBatch(step);
          insert.run(1, 'duplicate again');
        }),
      ]);
      await commits.run(() => insert.run(3, 'c'));
      expect(stepRuns).toBe(0);
    });

    it('commits what is pending on close, then refuses writes', async () => {
      const { commits, insert, count } = setup();
      const pending = commits.run(() => insert.run(1, 'a'));
      commits.close();
      expect(count()).toBe(1);
      await expect(pending).resolves.toMatchObject({ changes: 1 });
      await expect(commits.run(() => insert.run(2, 'b'))).rejects.toThrow(
        'database is closed',
      );
    });

    it('refuses writes once the database is closed', async () => {
      const database = openAt(join(dir, 'closed.sqlite'));
      database.close();
      expect(database.isOpen).toBe(false);
      await expect(database.write(() => 1)).rejects.toThrow(
        'database is closed',
      );
      // Closing again is harmless.
      database.close();
    });
  });
});
