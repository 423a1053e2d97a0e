import { Global, Logger, Module, type DynamicModule } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  DEFAULT_POSTGRES_POOL,
  redactUrl,
  type PostgresPoolConfig,
} from '../../config/app-config';
import type { AppConfigService } from '../../config/app-config.module';
import { StartupError } from '../redis/redis-connection';
import { PostgresDatabase } from './postgres-database';

/**
 * Opens the database of DATABASE_URL (connects and migrates), or stops the start with one line
 * naming the setting, the (redacted) URL and the cause: an unreachable server, a missing database,
 * a schema newer than this api.
 */
export async function openPostgres(
  url: string,
  pool: PostgresPoolConfig = DEFAULT_POSTGRES_POOL,
): Promise<PostgresDatabase> {
  try {
    const database = await PostgresDatabase.open(url, pool);
    new Logger('PostgresStores').log(
      `messages, sessions and markers in PostgreSQL at ${redactUrl(url)}`,
    );
    return database;
  } catch (error) {
    throw new StartupError(
      `DATABASE_URL=${redactUrl(url)}: ${describeCause(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** The cause in a few words (a refused connection to each address of a name: all of them). */
function describeCause(error: unknown): string {
  const message = (e: unknown) =>
    typeof e === 'object' && e !== null && 'message' in e
      ? String(e.message)
      : String(e);
  const errors = (error as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.length > 0)
    return errors.map(message).join('; ');
  return message(error);
}

/**
 * `STORE=postgres`: the database every capability's PostgreSQL store shares. Global, so that Nest
 * shuts it down after every capability's module (presence still saves its goodbyes while the node
 * leaves): PostgresDatabase.onApplicationShutdown commits what is pending and ends the pool.
 */
@Global()
@Module({})
export class PostgresModule {
  /** `database`: already open (createApp opens it first, to fail fast and clearly). */
  static forRoot(database?: PostgresDatabase): DynamicModule {
    return {
      module: PostgresModule,
      providers: [
        database
          ? { provide: PostgresDatabase, useValue: database }
          : {
              provide: PostgresDatabase,
              useFactory: (config: AppConfigService) =>
                openPostgres(
                  config.get('databaseUrl', { infer: true }),
                  config.get('postgresPool', { infer: true }),
                ),
              inject: [ConfigService],
            },
      ],
      exports: [PostgresDatabase],
    };
  }
}
