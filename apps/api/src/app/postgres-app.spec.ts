import { ErrorCode } from '@chat/contracts';
import {
  startPostgres,
  startPostgresServer,
  withSearchPath,
  type PostgresServerProcess,
  type TestPostgres,
} from '@chat/test-support';
import { sql } from 'kysely';
import { StartupError } from '../shared/redis/redis-connection';
import { PostgresDatabase } from '../shared/postgres/postgres-database';
import {
  ClientPool,
  startServer,
  type TestServer,
} from '../testing/chat-test-kit';
import { createApp } from './create-app';

describe('STORE=postgres at start', () => {
  let postgres: TestPostgres;

  beforeAll(async () => {
    postgres = await startPostgres();
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  it('refuses to start when PostgreSQL cannot be reached, in one line naming DATABASE_URL', async () => {
    const attempt = createApp(
      {
        STORE: 'postgres',
        DATABASE_URL: 'postgres://chat:hunter2@127.0.0.1:1/chat',
      },
      { logger: false },
    );
    await expect(attempt).rejects.toThrow(StartupError);
    await expect(attempt).rejects.toThrow(
      /^DATABASE_URL=postgres:\/\/chat:\*\*\*@127\.0\.0\.1:1\/chat: connect ECONNREFUSED 127\.0\.0\.1:1$/,
    );
  });

  it('refuses to start on a database migrated by a newer version, in one line', async () => {
    const url = await postgres.newSchema();
    const database = await PostgresDatabase.open(url);
    await sql`INSERT INTO kysely_migration (name, timestamp)
      VALUES ('9999_from_the_future', now())`.execute(database.db);
    await database.close();
    await expect(
      createApp({ STORE: 'postgres', DATABASE_URL: url }, { logger: false }),
    ).rejects.toThrow(
      /^DATABASE_URL=.*: the database schema is newer than this api: migration\(s\) 9999_from_the_future are unknown to it/,
    );
  });
});

// PostgreSQL stops under a running node, then comes back.
describe('PostgreSQL restarting under a running node', () => {
  let server: PostgresServerProcess;
  let node: TestServer | undefined;
  const pool = new ClientPool(() => node?.url ?? '');

  beforeAll(async () => {
    server = await startPostgresServer();
  });

  afterAll(async () => {
    pool.closeAll();
    await node?.app.close();
    await server.destroy();
  });

  it('answers with "unavailable" at once and /readyz 503 meanwhile, then recovers by itself', async () => {
    node = await startServer({
      STORE: 'postgres',
      DATABASE_URL: withSearchPath(server.url, 'public'),
    });
    const ready = async () => (await fetch(`${node?.url}/readyz`)).status;
    expect(await ready()).toBe(200);
    const alice = await pool.connect({ username: 'alice' });
    const bob = await pool.connect({ username: 'bob' });
    const before = await alice.client.send({
      content: 'before',
      to: bob.session.userID,
    });
    expect(before.ok).toBe(true);

    await server.stop();
    const started = Date.now();
    expect(
      await alice.client.send({ content: 'during', to: bob.session.userID }),
    ).toEqual({ ok: false, error: ErrorCode.Unavailable });
    expect(
      await alice.client.fetch({ userID: bob.session.userID, before: 'Z' }),
    ).toEqual({ ok: false, error: ErrorCode.Unavailable });
    // Refused connections: far below the client's ack timeout.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await ready()).toBe(503);
    const body = await (await fetch(`${node.url}/readyz`)).json();
    expect(body.error?.postgres?.status).toBe('down');
    // Connected sockets stay connected.
    expect(alice.client.socket.connected && bob.client.socket.connected).toBe(
      true,
    );

    await server.restart();
    // The pool connects again on its own: a send retried for a while goes through.
    let after = await alice.client.send({
      content: 'after',
      to: bob.session.userID,
    });
    for (const deadline = Date.now() + 10_000; !after.ok; ) {
      if (Date.now() > deadline) throw new Error('never recovered');
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await alice.client.send({
        content: 'after',
        to: bob.session.userID,
      });
    }
    await bob.client.waitFor('private message', (m) => m.content === 'after');
    expect(await ready()).toBe(200);
    const bobAgain = await pool.connect({ sessionID: bob.session.sessionID });
    expect(
      bobAgain.users
        .find((u) => u.userID === alice.session.userID)
        ?.messages.map((m) => m.content),
    ).toEqual(['before', 'after']);
  });
});
