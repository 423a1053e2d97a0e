import { statSync } from 'node:fs';
import { SQLITE_IN_MEMORY } from '../config/app-config';
import { StartupError } from '../shared/redis/redis-connection';
import { SqliteDatabase } from '../shared/sqlite/sqlite-database';

/**
 * Opens the SQLite database of `SQLITE_PATH` once (creating, configuring and migrating it) and
 * closes it again, before Nest builds anything: a path that cannot be a database stops the start
 * with one line naming the setting, the path and the cause (`SQLITE_PATH=/srv/chat: is a
 * directory`), instead of Nest's stack trace of the failed provider.
 */
export function checkSqlitePath(path: string): void {
  if (path === SQLITE_IN_MEMORY) return;
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory())
      throw new Error('is a directory, not a database file');
    SqliteDatabase.open(path).close();
  } catch (error) {
    throw new StartupError(`SQLITE_PATH=${path}: ${describeCause(error)}`, {
      cause: error,
    });
  }
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // SQLite says "unable to open database file" for every reason the OS gave it.
  if ((error as { code?: unknown }).code === 'SQLITE_CANTOPEN')
    return `${error.message} (check that the folder exists and is writable)`;
  return error.message;
}
