import { Module, type DynamicModule, type Type } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { AppConfigModule } from '../config/app-config.module';
import { ChatModule } from '../chat/chat.module';
import { ClockModule, type Clock } from '../chat/clock';
import { StoresModule } from '../chat/stores/stores.module';
import type { RedisConnection } from '../redis/redis-connection';
import { RedisModule } from '../redis/redis.module';
import { webAppModules } from './web-app.module';

export { hasWebApp } from './web-app.module';

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
        ClockModule.forRoot(options.clock),
        ...(config.store === 'redis'
          ? [RedisModule.forRoot(options.redis)]
          : []),
        StoresModule.forRoot(config.store, options.stores),
        ChatModule,
        ...webAppModules(config),
      ],
    };
  }
}
