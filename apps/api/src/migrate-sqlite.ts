import { existsSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import {
  ConfigValidationError,
  redactUrl,
  validateEnv,
} from './config/app-config';
import { openPostgres } from './shared/postgres/postgres.module';
import { SqliteDatabase } from './shared/sqlite/sqlite-database';
import { StartupError } from './shared/redis/redis-connection';
import { copySqliteToPostgres } from './startup/sqlite-to-postgres';

/**
 * `node dist/apps/api/migrate-sqlite.js`: moves the chat of SQLITE_PATH into the empty PostgreSQL
 * database of DATABASE_URL (README, "Moving from SQLite to PostgreSQL"), with the api stopped.
 * Prints one line of counts, or one line of why not, and exits 1.
 */
async function main(): Promise<void> {
  // Its one line of output is the summary; warnings and errors still show.
  Logger.overrideLogger(['error', 'warn']);
  const config = validateEnv(process.env);
  const { sqlitePath, databaseUrl, postgresPool } = config;
  if (!existsSync(sqlitePath))
    throw new StartupError(`SQLITE_PATH=${sqlitePath}: no such file`);
  const source = SqliteDatabase.open(sqlitePath);
  try {
    const target = await openPostgres(databaseUrl, postgresPool);
    try {
      const counts = await copySqliteToPostgres(source, target);
      console.log(
        `copied ${counts.sessions} sessions, ${counts.messages} messages, ` +
          `${counts.conversations} conversation rows and ${counts.markers} markers ` +
          `from ${sqlitePath} to ${redactUrl(databaseUrl)}`,
      );
    } finally {
      await target.close();
    }
  } finally {
    source.close();
  }
}

main().catch((error: unknown) => {
  console.error(
    error instanceof ConfigValidationError || error instanceof StartupError
      ? error.message
      : `moving ${process.env['SQLITE_PATH'] ?? 'the SQLite database'} to PostgreSQL failed, nothing was written: ${
          error instanceof Error ? error.message : String(error)
        }`,
  );
  process.exit(1);
});
