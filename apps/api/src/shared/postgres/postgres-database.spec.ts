import {
  startPostgresServer,
  withSearchPath,
  type PostgresServerProcess,
} from '@chat/test-support';
import { sql } from 'kysely';
import { usePostgres } from '../../testing/store-backends';
import { MIGRATIONS } from './migrations';
import { PostgresDatabase } from './postgres-database';

describe('PostgreSQL database', () => {
  const postgres = usePostgres();

  const tables = async (database: PostgresDatabase) => {
    const { rows } = await sql<{ name: string }>`
      SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = current_schema() ORDER BY table_name`.execute(
      database.db,
    );
    return rows.map((row) => row.name);
  };

  describe('migrations', () => {
    it('creates the schema in the schema of DATABASE_URL, once, also when nodes start together', async () => {
      const url = await postgres.newSchema();
      const [first, second] = await Promise.all([
        postgres.open(url),
        postgres.open(url),
      ]);
      expect(await tables(first)).toEqual([
        'conversations',
        'kysely_migration',
        'kysely_migration_lock',
        'markers',
        'messages',
        'meta',
        'sessions',
      ]);
      const { rows } = await sql<{
        name: string;
      }>`SELECT name FROM kysely_migration`.execute(second.db);
      expect(rows.map((row) => row.name)).toEqual(Object.keys(MIGRATIONS));
      // Opened again: nothing to apply, and the data kept.
      await first.db
        .insertInto('meta')
        .values({ key: 'k', value: 'v' })
        .execute();
      const third = await postgres.open(url);
      expect(
        await third.db.selectFrom('meta').select('value').execute(),
      ).toEqual([{ value: 'v' }]);
    });

    it('refuses, in one line, a database migrated by a newer version, and changes nothing', async () => {
      const url = await postgres.newSchema();
      const database = await postgres.open(url);
      await sql`INSERT INTO kysely_migration (name, timestamp)
        VALUES ('9999_from_the_future', now())`.execute(database.db);
      await expect(PostgresDatabase.open(url)).rejects.toThrow(
        /^the database schema is newer than this api: migration\(s\) 9999_from_the_future are unknown to it/,
      );
      expect(await tables(database)).toContain('sessions');
    });

    it('applies every migration or none: a failing one leaves the schema as it was', async () => {
      const url = await postgres.newSchema();
      await expect(
        PostgresDatabase.open(url, undefined, {
          ...MIGRATIONS,
          '9999_broken': {
            up: async (db) => {
              await sql`CREATE TABLE half_done (x int)`.execute(db);
              await sql`SELECT * FROM no_such_table`.execute(db);
            },
          },
        }),
      ).rejects.toThrow(/no_such_table/);
      const database = await postgres.open(url);
      expect(await tables(database)).not.toContain('half_done');
    });
  });

  describe('group commit', () => {
    it('commits the writes of one turn together, rejecting only the one that fails', async () => {
      const database = await postgres.open();
      const put = (key: string) =>
        database.write((trx) =>
          trx.insertInto('meta').values({ key, value: key }).execute(),
        );
      const results = await Promise.allSettled([put('a'), put('a'), put('b')]);
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      expect(
        (
          await database.db
            .selectFrom('meta')
            .select('key')
            .orderBy('key')
            .execute()
        ).map((row) => row.key),
      ).toEqual(['a', 'b']);
    });

    it('commits what is pending on close, then refuses writes', async () => {
      const url = await postgres.newSchema();
      const database = await PostgresDatabase.open(url);
      const pending = database.write((trx) =>
        trx.insertInto('meta').values({ key: 'a', value: '1' }).execute(),
      );
      await database.close();
      await expect(pending).resolves.toBeDefined();
      await expect(database.write(async () => 1)).rejects.toThrow(
        'database is closed',
      );
      const again = await postgres.open(url);
      expect(await again.db.selectFrom('meta').select('key').execute()).toEqual(
        [{ key: 'a' }],
      );
    });
  });

  describe('when the server restarts', () => {
    let server: PostgresServerProcess;
    let database: PostgresDatabase | undefined;

    beforeAll(async () => {
      server = await startPostgresServer();
    });

    afterAll(async () => {
      await database?.close();
      await server.destroy();
    });

    it('fails at once while it is away, and recovers by itself once it is back', async () => {
      const opened = await PostgresDatabase.open(
        withSearchPath(server.url, 'public'),
      );
      database = opened;
      const put = (key: string) =>
        opened.write((trx) =>
          trx.insertInto('meta').values({ key, value: key }).execute(),
        );
      await put('before');
      await server.stop();
      const started = Date.now();
      await expect(put('during')).rejects.toThrow();
      await expect(
        opened.db.selectFrom('meta').selectAll().execute(),
      ).rejects.toThrow();
      // Refused connections: no waiting for a timeout.
      expect(Date.now() - started).toBeLessThan(2000);
      await server.restart();
      await put('after');
      expect(
        (
          await opened.db
            .selectFrom('meta')
            .select('key')
            .orderBy('key')
            .execute()
        ).map((row) => row.key),
      ).toEqual(['after', 'before']);
    });
  });
});
