import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { RateLimitConfig } from '../config/app-config';
import type { AppConfigService } from '../config/app-config.module';
import { RedisConnection } from '../redis/redis-connection';
import { ChatGateway } from './chat.gateway';
import { ChatOptions, ChatService } from './chat.service';
import { Clock } from './clock';
import { HandshakeMiddleware } from './handshake.middleware';
import { IdGenerator } from './ids';
import { PresenceKeeper } from './presence-keeper';
import {
  MemoryRateLimiter,
  RateLimits,
  type RateLimiter,
} from './rate-limiter';
import { SessionPruner } from './session-pruner';
import { MessageStore } from './stores/message.store';
import { PresenceStore } from './stores/presence.store';
import { RedisKeys } from './stores/redis/redis-keys';
import { RedisRateLimiter } from './stores/redis/redis-rate-limiter';
import { SessionStore } from './stores/session.store';

/** Messages deleted (or sessions listed) per step of the pruner. */
const PRUNE_BATCH_SIZE = 500;

/** The chat feature. Stores come from the global StoresModule (chosen by `STORE`), Clock from ClockModule. */
@Module({
  providers: [
    ChatGateway,
    ChatService,
    HandshakeMiddleware,
    {
      provide: PresenceKeeper,
      useFactory: (presence: PresenceStore, chat: ChatService) =>
        new PresenceKeeper(presence, chat),
      inject: [PresenceStore, ChatService],
    },
    {
      // Message ids continue after the newest stored one, whatever the clock says after a restart.
      provide: IdGenerator,
      useFactory: async (messages: MessageStore, clock: Clock) => {
        const ids = new IdGenerator(() => clock.now());
        ids.seedMessageID(await messages.findLatestMessageID());
        return ids;
      },
      inject: [MessageStore, Clock],
    },
    {
      // One budget per user (and per address) for the whole deployment: with Redis (several
      // nodes) the buckets live there, like the rest of the shared state.
      provide: RateLimits,
      useFactory: (config: AppConfigService, redis?: RedisConnection) => {
        const limiter = (limits: RateLimitConfig): RateLimiter =>
          redis
            ? new RedisRateLimiter(
                redis.client,
                new RedisKeys(redis.prefix),
                limits,
              )
            : new MemoryRateLimiter(limits);
        return new RateLimits(
          limiter(config.get('rateLimit', { infer: true })),
          limiter(config.get('newSessionLimit', { infer: true })),
        );
      },
      // The global RedisModule is there with STORE=redis only.
      inject: [ConfigService, { token: RedisConnection, optional: true }],
    },
    {
      provide: ChatOptions,
      useFactory: (config: AppConfigService) =>
        new ChatOptions({
          historyLimit: config.get('historyLimit', { infer: true }),
          trustProxy: config.get('trustProxy', { infer: true }),
        }),
      inject: [ConfigService],
    },
    {
      provide: SessionPruner,
      useFactory: (
        sessions: SessionStore,
        messages: MessageStore,
        config: AppConfigService,
        chat: ChatService,
      ) =>
        new SessionPruner(
          sessions,
          messages,
          {
            intervalMs: config.get('sessionPruneIntervalMs', { infer: true }),
            batchSize: PRUNE_BATCH_SIZE,
          },
          chat,
        ),
      inject: [SessionStore, MessageStore, ConfigService, ChatService],
    },
  ],
  exports: [SessionPruner, PresenceKeeper],
})
export class ChatModule {}
