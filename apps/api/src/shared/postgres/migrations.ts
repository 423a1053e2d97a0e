import { Migrator, sql, type Kysely, type Migration } from 'kysely';

/**
 * The schema of the PostgreSQL database, as Kysely's versioned migrations: applied in name order
 * at start, each once, recorded in `kysely_migration` (Kysely takes an advisory lock, so nodes
 * starting together migrate once). Append only: never edit a migration that has shipped, add the
 * next one with a greater name.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_chat': {
    async up(db) {
      for (const statement of [
        `CREATE TABLE sessions (
           seq           bigint GENERATED ALWAYS AS IDENTITY,
           session_id    text COLLATE "C" PRIMARY KEY,
           user_id       text COLLATE "C" NOT NULL UNIQUE,
           username      text NOT NULL,
           name_key      text COLLATE "C" NOT NULL,
           connected     boolean NOT NULL,
           last_seen     bigint NOT NULL,
           read_receipts boolean NOT NULL DEFAULT true,
           typing        boolean NOT NULL DEFAULT true
         )`,
        // findAllSessions's order; the directory's pages and prefix searches; what the pruner
        // scans (only sessions that can expire).
        'CREATE INDEX sessions_seq ON sessions (seq)',
        'CREATE INDEX sessions_directory ON sessions (name_key, user_id)',
        'CREATE INDEX sessions_expiry ON sessions (last_seen) WHERE NOT connected',

        // The primary key serves every history read and every receipt check.
        `CREATE TABLE messages (
           low       text COLLATE "C" NOT NULL,
           high      text COLLATE "C" NOT NULL,
           id        text COLLATE "C" NOT NULL,
           sender    text COLLATE "C" NOT NULL,
           recipient text COLLATE "C" NOT NULL,
           content   text NOT NULL,
           at        text NOT NULL,
           client_id text COLLATE "C",
           PRIMARY KEY (low, high, id)
         )`,
        // Idempotent sends: partial, so that messages without a key cost nothing more.
        `CREATE UNIQUE INDEX messages_client_id ON messages (sender, client_id)
           WHERE client_id IS NOT NULL`,
        // The greatest id, read once at start, without a counter row every node would update.
        'CREATE INDEX messages_id ON messages (id)',

        `CREATE TABLE conversations (
           user_id  text COLLATE "C" NOT NULL,
           peer_id  text COLLATE "C" NOT NULL,
           received bigint NOT NULL DEFAULT 0,
           PRIMARY KEY (user_id, peer_id)
         )`,

        `CREATE TABLE markers (
           reader      text COLLATE "C" NOT NULL,
           peer        text COLLATE "C" NOT NULL,
           delivered   text COLLATE "C",
           read        text COLLATE "C",
           public_read text COLLATE "C",
           read_count  bigint NOT NULL DEFAULT 0,
           PRIMARY KEY (reader, peer)
         )`,
        // Forgetting a user deletes the markers kept about them too.
        'CREATE INDEX markers_peer ON markers (peer)',

        `CREATE TABLE meta (
           key   text COLLATE "C" PRIMARY KEY,
           value text COLLATE "C" NOT NULL
         )`,
      ])
        await sql.raw(statement).execute(db);
    },
  },
  // The greatest id moves from an index on every message (messages_id) to `meta`, where each
  // batch of messages raises one of a few rows (postgres-message.store.ts, LATEST_SLOTS).
  '0002_latest_message_id_in_meta': {
    async up(db) {
      await sql`
        INSERT INTO meta (key, value)
        SELECT 'latest_message_id:0', max(id) FROM messages HAVING max(id) IS NOT NULL
        ON CONFLICT (key) DO UPDATE SET value = greatest(meta.value, excluded.value)`.execute(
        db,
      );
      await sql`DROP INDEX messages_id`.execute(db);
    },
  },
};

/** The database was migrated by a newer version of the api: it refuses to start on it. */
export class SchemaTooNewError extends Error {
  constructor(unknown: string[]) {
    super(
      `the database schema is newer than this api: migration(s) ${unknown.join(', ')} are unknown to it (upgrade the api, or restore a backup made before)`,
    );
    this.name = 'SchemaTooNewError';
  }
}

/**
 * Brings the schema to the latest version (every missing migration, in one transaction), after
 * checking that the database holds no migration this code does not know.
 */
export async function migrate<DB>(
  db: Kysely<DB>,
  migrations: Readonly<Record<string, Migration>> = MIGRATIONS,
): Promise<{ applied: string[] }> {
  const executed = await executedMigrations(db);
  const unknown = executed.filter((name) => !(name in migrations));
  if (unknown.length > 0) throw new SchemaTooNewError(unknown);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    // Named, since Kysely looks for its tables in every schema otherwise (one per test, or a
    // deployment's beside another's in the same database).
    migrationTableSchema: await currentSchema(db),
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) throw error;
  return {
    applied: results
      .filter((result) => result.status === 'Success')
      .map((result) => result.migrationName),
  };
}

/** Names recorded in `kysely_migration` of the current schema (none before the first start). */
async function executedMigrations<DB>(db: Kysely<DB>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
SELECT name FROM kysely_migration ORDER BY name`
    .execute(db)
    .catch((error: { code?: string }) => {
      // 42P01: undefined table (a database never migrated).
      if (error.code === '42P01') return { rows: [] };
      throw error;
    });
  return rows.map((row) => row.name);
}

/** The schema tables are made in: the first of `search_path` (`public` unless DATABASE_URL sets it). */
async function currentSchema<DB>(db: Kysely<DB>): Promise<string> {
  const { rows } = await sql<{
    schema: string | null;
  }>`SELECT current_schema() AS schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema)
    throw new Error('no schema to create tables in: check search_path');
  return schema;
}
