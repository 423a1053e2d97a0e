import { dirname } from 'node:path';
import type { OnApplicationShutdown } from '@nestjs/common';
import Database from 'better-sqlite3';
import { SQLITE_IN_MEMORY } from '../../../config/app-config';
import { ensureDirectory } from '../../../startup/ensure-directory';
import { nameKey } from '../session.store';
import { Checkpointer } from './checkpointer';
import { GroupCommit } from './group-commit';

/** One schema change; run inside the migration transaction. */
export type Migration = (db: Database.Database) => void;

/**
 * The schema, one step per version (`PRAGMA user_version` = steps applied). Append only: never
 * edit a step that has shipped, add the next one.
 */
export const MIGRATIONS: readonly Migration[] = [
  // 1: sessions, messages and each user's conversations.
  (db) =>
    db.exec(`
      -- rowid order is the order sessions were first saved (an upsert keeps the rowid).
      CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY,
        user_id    TEXT NOT NULL UNIQUE,
        username   TEXT NOT NULL,
        connected  INTEGER NOT NULL,
        last_seen  INTEGER NOT NULL -- ms since the epoch
      );
      -- What the pruner scans: only sessions that can expire.
      CREATE INDEX sessions_expiry ON sessions (last_seen) WHERE connected = 0;

      -- A conversation is the sorted pair (low, high) of its two userIDs (low = high: to self).
      -- The primary key serves every history query, so there is no secondary index to maintain.
      CREATE TABLE messages (
        low       TEXT NOT NULL,
        high      TEXT NOT NULL,
        id        TEXT NOT NULL, -- monotonic ULID: the order the server accepted them
        sender    TEXT NOT NULL,
        recipient TEXT NOT NULL,
        content   TEXT NOT NULL,
        at        TEXT NOT NULL, -- ISO 8601, as sent on the wire
        PRIMARY KEY (low, high, id)
      ) WITHOUT ROWID;

      -- Each user's conversation partners, both ways (once for a conversation with self).
      CREATE TABLE conversations (
        user_id TEXT NOT NULL,
        peer_id TEXT NOT NULL,
        PRIMARY KEY (user_id, peer_id)
      ) WITHOUT ROWID;

      -- Small facts: the greatest message id ever stored, read once at start.
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `),
  // 2: the directory's order (see `directoryKey`): a name key, computed in JS (SQLite's lower()
  // folds ASCII only), and an index in that order, which pages and prefix searches walk.
  (db) => {
    db.exec(
      `ALTER TABLE sessions ADD COLUMN name_key TEXT NOT NULL DEFAULT ''`,
    );
    const rows = db
      .prepare<
        [],
        { session_id: string; username: string }
      >('SELECT session_id, username FROM sessions')
      .all();
    const update = db.prepare<[string, string]>(
      'UPDATE sessions SET name_key = ? WHERE session_id = ?',
    );
    for (const row of rows) update.run(nameKey(row.username), row.session_id);
    db.exec('CREATE INDEX sessions_directory ON sessions (name_key, user_id)');
  },
  // 3: idempotent sends: the sender's `clientMessageId`, unique per sender. A partial index, so
  // that messages sent without one (NULL) cost nothing more than before.
  (db) =>
    db.exec(`
      ALTER TABLE messages ADD COLUMN client_id TEXT;
      CREATE UNIQUE INDEX messages_client_id ON messages (sender, client_id)
        WHERE client_id IS NOT NULL;
    `),
];

/**
 * Brings the schema to the latest version: the missing steps, in order, in one transaction, so
 * a failed step leaves the database as it was. Refuses a database made by a newer version.
 */
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
): { from: number; to: number } {
  return db
    .transaction(() => {
      const from = db.pragma('user_version', { simple: true }) as number;
      if (from > migrations.length)
        throw new Error(
          `database schema version ${from} is newer than this api knows (${migrations.length})`,
        );
      for (const step of migrations.slice(from)) step(db);
      // Part of the transaction: rolled back with the steps if one fails.
      db.pragma(`user_version = ${migrations.length}`);
      return { from, to: migrations.length };
    })
    .immediate();
}

/**
 * How often the checkpointer moves the WAL into the database. Often, so that each run has little
 * to copy: measured at 10k msg/s, every 50 ms gave a p99 latency of ~5 ms, every 200 ms ~8 ms,
 * every second 12–23 ms (a bigger copy and sync at once slows the writer beside it).
 */
const CHECKPOINT_INTERVAL_MS = 50;

/**
 * The SQLite database of the chat (`STORE=sqlite`): opened and migrated on start, closed on
 * shutdown. Reads run directly (better-sqlite3 is synchronous: each is short and bounded);
 * every write goes through `write`, the group commit, so writes keep their order.
 */
export class SqliteDatabase implements OnApplicationShutdown {
  private readonly commits: GroupCommit;

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
    private readonly checkpointer: Checkpointer | undefined,
  ) {
    this.commits = new GroupCommit(db);
  }

  /** Opens (creating the file and its folder if needed), configures and migrates. */
  static open(
    path: string,
    migrations: readonly Migration[] = MIGRATIONS,
  ): SqliteDatabase {
    const file = path !== SQLITE_IN_MEMORY;
    if (file) ensureDirectory(dirname(path));
    const db = new Database(path);
    try {
      // WAL: readers never block the writer, and a commit is one append to the log.
      db.pragma('journal_mode = WAL');
      // In WAL mode, NORMAL syncs only at checkpoints, not on every commit. A committed
      // transaction is in the WAL file (the OS has it) when COMMIT returns: it survives a crash or
      // SIGKILL of this process; only a power loss or OS crash can lose the last commits.
      db.pragma('synchronous = NORMAL');
      // Wait rather than fail if another connection (a backup, the sqlite3 shell) holds a lock.
      db.pragma('busy_timeout = 5000');
      // Checkpoints run in a worker (Checkpointer), not inside a COMMIT on the event loop.
      if (file) db.pragma('wal_autocheckpoint = 0');
      migrate(db, migrations);
    } catch (error) {
      db.close();
      throw error;
    }
    const checkpointer = file
      ? new Checkpointer(path, CHECKPOINT_INTERVAL_MS)
      : undefined;
    return new SqliteDatabase(db, path, checkpointer);
  }

  /** Runs `work` in the next group commit; resolves with its result once it is committed. */
  write<T>(work: () => T): Promise<T> {
    return this.commits.run(work);
  }

  /** From within a write: runs `step` once at the end of its batch (see GroupCommit). */
  atEndOfBatch(step: () => void): void {
    this.commits.atEndOfBatch(step);
  }

  /** Calls `listener` whenever a batch of writes is rolled back (see GroupCommit). */
  onRollback(listener: () => void): void {
    this.commits.onRollback(listener);
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  /** Commits pending writes and closes; later writes reject. Idempotent. */
  close(): void {
    if (!this.db.open) return;
    this.commits.close();
    this.checkpointer?.stop();
    this.db.close();
  }

  onApplicationShutdown(): void {
    this.close();
  }
}
