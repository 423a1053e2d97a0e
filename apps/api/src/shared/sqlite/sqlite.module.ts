import { Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfigService } from '../../config/app-config.module';
import { SqliteDatabase } from './sqlite-database';

/**
 * `STORE=sqlite` (the default): the one database file (`SQLITE_PATH`) every capability's SQLite
 * store writes to, opened and migrated when the app is built, closed on shutdown
 * (SqliteDatabase.onApplicationShutdown). Global, so that Nest shuts it down after every
 * capability's module: presence still saves its goodbyes while the node leaves.
 */
@Global()
@Module({
  providers: [
    {
      provide: SqliteDatabase,
      useFactory: (config: AppConfigService) => {
        const path = config.get('sqlitePath', { infer: true });
        let database: SqliteDatabase;
        try {
          database = SqliteDatabase.open(path);
        } catch (error) {
          // Stops the start with a message that says which setting to look at.
          throw new Error(
            `cannot open the SQLite database ${path} (SQLITE_PATH): ${
              error instanceof Error ? error.message : String(error)
            }`,
            { cause: error },
          );
        }
        new Logger('SqliteStores').log(`messages and sessions in ${path}`);
        return database;
      },
      inject: [ConfigService],
    },
  ],
  exports: [SqliteDatabase],
})
export class SqliteModule {}
