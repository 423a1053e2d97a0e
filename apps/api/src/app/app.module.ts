import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import type { AppConfig } from '../config/app-config';
import { AppConfigModule } from '../config/app-config.module';
import { HEALTH_PATHS } from '../health/health.controller';
import { HealthModule } from '../health/health.module';
import { MetricsModule } from '../metrics/metrics.module';
import type { Clock } from '../shared/clock';
import { StoresModule } from './stores.module';
import type { RedisConnection } from '../shared/redis/redis-connection';
import { RedisModule } from '../shared/redis/redis.module';
import { SharedModule } from '../shared/shared.module';
import { SqliteModule } from '../shared/sqlite/sqlite.module';
import { TransportModule } from '../transport/transport.module';

export interface AppModuleOptions {
  /**
   * Replaces stores chosen by `STORE`: a module exporting some of the stores' tokens
   * (SessionStore, MessageStore, PresenceStore...), which it provides instead.
   */
  stores?: DynamicModule;
  /** Replaces the system clock (message times, last seen, session expiry); tests move it by hand. */
  clock?: Clock;
  /** `STORE=redis`: the connection, already made (createApp connects first); else made here. */
  redis?: RedisConnection;
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
        ...(config.store === 'redis'
          ? [RedisModule.forRoot(options.redis)]
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

/** Whether the built web app is there to be served. */
export function hasWebApp(config: AppConfig): boolean {
  return existsSync(join(config.webDist, 'index.html'));
}

/** In production this process also serves the built web app: one process, one port. */
function webAppModules(config: AppConfig): DynamicModule[] {
  // Without it, createApp warns and the process serves the api only.
  if (config.nodeEnv !== 'production' || !hasWebApp(config)) return [];
  return [
    ServeStaticModule.forRoot({
      rootPath: config.webDist,
      // socket.io and the probes answer their own paths; never fall back to index.html there.
      exclude: new RegExp(`^(/socket\\.io|${HEALTH_PATHS.join('|')})(/|$)`),
    }),
  ];
}
