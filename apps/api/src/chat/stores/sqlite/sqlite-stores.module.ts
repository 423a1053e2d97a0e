import { Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfigService } from '../../../config/app-config.module';
import { Clock } from '../../../shared/clock';
import { MemoryPresenceStore } from '../../../presence/stores/memory/memory-presence.store';
import { MessageStore } from '../../../messaging/stores/message.store';
import { PresenceStore } from '../../../presence/stores/presence.store';
import { SessionStore } from '../../../sessions/stores/session.store';
import { SqliteDatabase } from '../../../shared/sqlite/sqlite-database';
import { SqliteMessageStore } from '../../../messaging/stores/sqlite/sqlite-message.store';
import { SqliteSessionStore } from '../../../sessions/stores/sqlite/sqlite-session.store';

/**
 * `STORE=sqlite` (the default): one database file (`SQLITE_PATH`), opened and migrated when the
 * app is built, closed on shutdown (SqliteDatabase.onApplicationShutdown). One api process per
 * file: at start every session is marked not connected, since no socket can be open yet; presence
 * is this process's own (memory).
 */
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
    {
      provide: SessionStore,
      useFactory: async (
        database: SqliteDatabase,
        config: AppConfigService,
        clock: Clock,
      ) => {
        const store = new SqliteSessionStore(database, {
          ttlMs: config.get('sessionTtlMs', { infer: true }),
          clock,
        });
        await store.disconnectAll();
        return store;
      },
      inject: [SqliteDatabase, ConfigService, Clock],
    },
    {
      provide: MessageStore,
      useFactory: (database: SqliteDatabase) =>
        new SqliteMessageStore(database),
      inject: [SqliteDatabase],
    },
    { provide: PresenceStore, useFactory: () => new MemoryPresenceStore() },
  ],
  exports: [SessionStore, MessageStore, PresenceStore],
})
export class SqliteStoresModule {}
