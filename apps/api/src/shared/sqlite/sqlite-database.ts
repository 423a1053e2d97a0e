import { dirname } from 'node:path';
import type { OnApplicationShutdown } from '@nestjs/common';
import Database from 'better-sqlite3';
import { SQLITE_IN_MEMORY } from '../../config/app-config';
import { ensureDirectory } from '../../startup/ensure-directory';
import { MIGRATIONS, migrate, type Migration } from './migrations';
import { Checkpointer } from './checkpointer';
import { GroupCommit } from './group-commit';

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
