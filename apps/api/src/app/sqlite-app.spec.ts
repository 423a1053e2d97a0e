import type { Message } from '@chat/contracts';
import {
  ClientPool,
  say,
  startServer,
  type TestServer,
} from '../testing/chat-test-kit';
import { SqliteDatabase } from '../shared/sqlite/sqlite-database';
import { TempDir } from '../testing/temp-dir';
import { StartupError } from '../shared/redis/redis-connection';

// The whole app on STORE=sqlite: a conversation, a restart on the same file, and what survives.
describe('the app with STORE=sqlite', () => {
  let dir: TempDir;
  let path: string;
  let server: TestServer | undefined;
  const pool = new ClientPool(() => server?.url ?? '');

  beforeEach(() => {
    dir = new TempDir();
    path = dir.file();
  });

  afterEach(async () => {
    pool.closeAll();
    await server?.app.close();
    // Nothing failed, shutdown included (late disconnects vs. the closed database).
    expect(
      (server?.logger.lines ?? []).filter((l) => l.level === 'error'),
    ).toEqual([]);
    server = undefined;
    dir.remove();
  });

  const start = async (env: Record<string, string> = {}) => {
    server = await startServer({
      STORE: 'sqlite',
      SQLITE_PATH: path,
      HISTORY_LIMIT: '4',
      ...env,
    });
    return server;
  };
  const restart = async () => {
    pool.closeAll();
    await server?.app.close();
    return start();
  };

  it('refuses to start on a path it cannot open, in one line naming SQLITE_PATH', async () => {
    const attempt = startServer({ STORE: 'sqlite', SQLITE_PATH: dir.path });
    await expect(attempt).rejects.toThrow(StartupError);
    await expect(attempt).rejects.toThrow(
      `SQLITE_PATH=${dir.path}: is a directory, not a database file`,
    );
  });

  it('logs where the data lives', async () => {
    const { logger } = await start();
    expect(
      logger.has('log', new RegExp(`messages and sessions in ${path}`)),
    ).toBe(true);
  });

  it('keeps sessions, messages and their order across a restart, offline delivery included', async () => {
    await start();
    const alice = await pool.connect({ username: 'alice' });
    const bob = await pool.connect({ username: 'bob' });
    const sent: Message[] = [];
    for (let i = 0; i < 6; i++)
      sent.push(await say(i % 2 ? bob : alice, i % 2 ? alice : bob, `m${i}`));
    bob.client.close();
    await alice.client.waitFor('user disconnected');
    sent.push(await say(alice, bob, 'while you were out'));

    await restart();
    // Both sessions resume; nobody is online any more after the restart.
    const bobBack = await pool.connect({ sessionID: bob.session.sessionID });
    expect(bobBack.session).toEqual(bob.session);
    const fromAlice = bobBack.users.find(
      (u) => u.userID === alice.session.userID,
    );
    expect(fromAlice).toEqual({
      userID: alice.session.userID,
      username: 'alice',
      connected: false,
      messages: sent.slice(3),
      hasMoreMessages: true,
      lastSeen: expect.any(String),
      // alice's 4 messages, kept unread across the restart too.
      unread: 4,
    });
    const older = await bobBack.client.fetch({
      userID: alice.session.userID,
      before: sent[3].id,
    });
    expect(older).toEqual({
      ok: true,
      messages: sent.slice(0, 3),
      hasMore: false,
    });

    // New messages sort after every stored one.
    const aliceBack = await pool.connect({
      sessionID: alice.session.sessionID,
    });
    const next = await say(aliceBack, bobBack, 'after the restart');
    expect(next.id > sent[sent.length - 1].id).toBe(true);
    expect(await bobBack.client.waitFor('private message')).toEqual(next);
  });

  it('answers a message sent again after a restart (same clientMessageId) with the one stored before, and delivers nothing', async () => {
    await start();
    const alice = await pool.connect({ username: 'alice' });
    const bob = await pool.connect({ username: 'bob' });
    const payload = {
      content: 'before the restart',
      to: bob.session.userID,
      clientMessageId: 'survives',
    };
    const first = await alice.client.send(payload);
    if (!first.ok) throw new Error(first.error);

    await restart();
    const aliceBack = await pool.connect({
      sessionID: alice.session.sessionID,
    });
    const bobBack = await pool.connect({ sessionID: bob.session.sessionID });
    expect(await aliceBack.client.send(payload)).toEqual(first);
    const control = await say(aliceBack, bobBack, 'control');
    await bobBack.client.waitFor('private message', (m) => m.id === control.id);
    expect(bobBack.client.all('private message')).toEqual([control]);
    const replay = (await pool.connect({ sessionID: bob.session.sessionID }))
      .users;
    expect(
      replay.find((u) => u.userID === alice.session.userID)?.messages,
    ).toEqual([first.message, control]);
  });

  it('acknowledges a message only once it is committed: a second connection to the file sees it', async () => {
    await start();
    const alice = await pool.connect({ username: 'alice' });
    const bob = await pool.connect({ username: 'bob' });
    const { default: Database } = await import('better-sqlite3');
    const reader = new Database(path, { readonly: true });
    try {
      const count = reader.prepare('SELECT count(*) FROM messages').pluck();
      const acks = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          alice.client.send({ content: `burst ${i}`, to: bob.session.userID }),
        ),
      );
      expect(acks.every((a) => a.ok)).toBe(true);
      expect(count.get()).toBe(20);
    } finally {
      reader.close();
    }
  });

  it('closes the database on shutdown: the file can be opened again right away', async () => {
    const first = await start();
    await pool.connect({ username: 'alice' });
    const database = first.app.get(SqliteDatabase);
    expect(database.isOpen).toBe(true);
    await first.app.close();
    expect(database.isOpen).toBe(false);
    server = undefined;
    await start();
    const carol = await pool.connect({ username: 'carol' });
    expect(carol.users.map((u) => [u.username, u.connected])).toEqual([
      ['alice', false],
      ['carol', true],
    ]);
  });
});
