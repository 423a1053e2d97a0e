import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { workspaceRoot } from '@nx/devkit';
import {
  ClientPool,
  startApi,
  startPostgres,
  type ApiProcess,
  type TestPostgres,
} from '@chat/test-support';

const run = promisify(execFile);
const MIGRATE = join(workspaceRoot, 'dist/apps/api/migrate-sqlite.js');

/**
 * README's one command that moves a SQLite deployment to PostgreSQL, on the built api: the chat
 * written on SQLite is there, as it was, on STORE=postgres.
 */
describe('moving from SQLite to PostgreSQL', () => {
  let postgres: TestPostgres;
  let api: ApiProcess | undefined;
  let url = '';
  const clients = new ClientPool(() => url);

  beforeAll(async () => {
    postgres = await startPostgres();
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  afterEach(async () => {
    clients.closeAll();
    await api?.stop();
    api = undefined;
  });

  const migrate = (env: Record<string, string>) =>
    run(process.execPath, [MIGRATE], { env: { ...process.env, ...env } });

  it('copies every session, message and unread count with one command, and refuses to copy twice', async () => {
    api = await startApi({ STORE: 'sqlite' });
    url = api.url;
    const sqlitePath = api.env['SQLITE_PATH'];
    const alice = await clients.connect({ username: 'alice' });
    const bob = await clients.connect({ username: 'bob' });
    for (const content of ['one', 'two', 'three'])
      expect(
        (await alice.client.send({ content, to: bob.session.userID })).ok,
      ).toBe(true);
    clients.closeAll();
    await api.stop();
    api = undefined;

    const databaseUrl = await postgres.newSchema();
    const env = { SQLITE_PATH: sqlitePath, DATABASE_URL: databaseUrl };
    const { stdout } = await migrate(env);
    expect(stdout).toMatch(
      /^copied 2 sessions, 3 messages, 2 conversation rows and 0 markers from .*chat\.sqlite to postgres:\/\//,
    );
    await expect(migrate(env)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/already holds sessions or messages/),
    });

    api = await startApi({ STORE: 'postgres', DATABASE_URL: databaseUrl });
    url = api.url;
    const bobAgain = await clients.connect({
      sessionID: bob.session.sessionID,
    });
    expect(bobAgain.session.username).toBe('bob');
    const withAlice = bobAgain.users.find(
      (user) => user.userID === alice.session.userID,
    );
    expect(withAlice?.messages.map((message) => message.content)).toEqual([
      'one',
      'two',
      'three',
    ]);
    expect(withAlice?.unread).toBe(3);
    // New messages continue after the copied ones.
    const aliceAgain = await clients.connect({
      sessionID: alice.session.sessionID,
    });
    const four = await aliceAgain.client.send({
      content: 'four',
      to: bob.session.userID,
    });
    expect(four.ok && four.message.id > (withAlice?.messages[2].id ?? '')).toBe(
      true,
    );
  });

  it('says in one line what is wrong, and exits 1', async () => {
    await expect(
      migrate({
        SQLITE_PATH: '/nonexistent/chat.sqlite',
        DATABASE_URL: await postgres.newSchema(),
      }),
    ).rejects.toMatchObject({
      code: 1,
      stderr: 'SQLITE_PATH=/nonexistent/chat.sqlite: no such file\n',
    });
  });
});
