import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfigService } from '../../config/app-config.module';
import { RedisConnection } from './redis-connection';

/**
 * Provides `RedisConnection` everywhere (`STORE=redis`): the stores, presence and the socket.io
 * adapter (ChatIoAdapter) share it. Global, so that Nest runs its shutdown hook after every other
 * module's: the connection closes only once the chat has said its goodbyes through it.
 */
@Global()
@Module({})
export class RedisModule {
  /** `connection`: already connected (createApp connects first, to fail fast and clearly). */
  static forRoot(connection?: RedisConnection): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        connection
          ? { provide: RedisConnection, useValue: connection }
          : {
              provide: RedisConnection,
              useFactory: (config: AppConfigService) =>
                RedisConnection.connect({
                  redisUrl: config.get('redisUrl', { infer: true }),
                  redisPrefix: config.get('redisPrefix', { infer: true }),
                }),
              inject: [ConfigService],
            },
      ],
      exports: [RedisConnection],
    };
  }
}
