import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { AppConfigModule } from '../config/app-config.module';
import { HealthModule } from '../health/health.module';
import { MetricsModule } from '../metrics/metrics.module';
import type { Clock } from '../shared/clock';
import { StoresModule } from './stores.module';
import type { RedisConnection } from '../shared/redis/redis-connection';
import { RedisModule } from '../shared/redis/redis.module';
import { SharedModule } from '../shared/shared.module';
import { SqliteModule } from '../shared/sqlite/sqlite.module';
import type { PostgresDatabase } from '../shared/postgres/postgres-database';
import { PostgresModule } from '../shared/postgres/postgres.module';
import { TransportModule } from '../transport/transport.module';
import { webAppModules } from './web-app.module';

export { hasWebApp } from './web-app.module';

export interface AppModuleOptions {
  /**
   * Replaces stores chosen by `STORE`: a module exporting some of the stores' tokens
   * (SessionStore, MessageStore, PresenceStore...), which it provides instead.
   */
  stores?: DynamicModule;
  /** Replaces the system clock (message times, last seen, session expiry); tests move it by hand. */
  clock?: Clock;
  /** With Redis: the connection, already made (createApp connects first); else made here. */
  redis?: RedisConnection;
  /** `STORE=postgres`: the database, already open (createApp opens it first); else opened here. */
  postgres?: PostgresDatabase;
}

@Module({})
export class AppModule {
  static register(
    config: AppConfig,
    options: AppModuleOptions = {},
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        SharedModule.forRoot(options.clock),
        // Global: every capability that counts something injects Metrics.
        MetricsModule.forRoot(config),
        // The infrastructure a backend's stores share.
        ...(config.useRedis ? [RedisModule.forRoot(options.redis)] : []),
        ...(config.store === 'postgres'
          ? [PostgresModule.forRoot(options.postgres)]
          : []),
        ...(config.store === 'sqlite' ? [SqliteModule] : []),
        StoresModule.forRoot(config.store, options.stores),
        // The capabilities, through the transport that serves them.
        TransportModule,
        // /healthz and /readyz (the stores and Redis are global).
        HealthModule,
        ...webAppModules(config),
      ],
    };
  }
}
