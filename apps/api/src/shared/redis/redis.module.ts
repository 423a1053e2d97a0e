import { Global, Logger, Module, type DynamicModule } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfigService } from '../../config/app-config.module';
import { RedisConnection } from './redis-connection';
import { RedisKeys } from './redis-keys';

/**
 * Provides `RedisConnection` and the deployment's `RedisKeys` everywhere (`STORE=redis`): every
 * capability's Redis store and the socket.io adapter (ChatIoAdapter) share them. Global, so that
 * Nest runs its shutdown hook after every other module's: the connection closes only once the chat
 * has said its goodbyes through it.
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
                  redisClusterNodes: config.get('redisClusterNodes', {
                    infer: true,
                  }),
                }),
              inject: [ConfigService],
            },
        {
          provide: RedisKeys,
          useFactory: (redis: RedisConnection) => {
            new Logger('RedisStores').log(
              `messages, sessions and presence in ${redis.cluster ? '' : 'Redis at '}${redis.displayUrl}, keys starting with ${redis.prefix}`,
            );
            // On a cluster, each group of keys in one hash slot (see RedisKeys).
            return new RedisKeys(redis.prefix, redis.cluster);
          },
          inject: [RedisConnection],
        },
      ],
      exports: [RedisConnection, RedisKeys],
    };
  }
}
