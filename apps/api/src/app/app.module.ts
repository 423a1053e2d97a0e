import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import type { AppConfig } from '../config/app-config';
import { AppConfigModule } from '../config/app-config.module';
import { ChatModule } from '../chat/chat.module';
import { ClockModule, type Clock } from '../chat/clock';
import { StoresModule } from '../chat/stores/stores.module';
import { HealthModule } from '../health/health.module';
import { HEALTH_PATHS } from '../health/health.controller';
import { MetricsModule } from '../metrics/metrics.module';
import type { RedisConnection } from '../redis/redis-connection';
import { RedisModule } from '../redis/redis.module';

export interface AppModuleOptions {
  /**
   * Replaces the stores chosen by `STORE` with a module exporting SessionStore, MessageStore and
   * PresenceStore.
   */
  stores?: Type | DynamicModule;
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
        MetricsModule.forRoot(config),
        ClockModule.forRoot(options.clock),
        ...(config.store === 'redis'
          ? [RedisModule.forRoot(options.redis)]
          : []),
        StoresModule.forRoot(config.store, options.stores),
        ChatModule,
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
