import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfigService } from '../config/app-config.module';
import { ChatGateway } from '../transport/chat.gateway';
import { ChatOptions, ChatService } from './chat.service';
import { Clock } from '../shared/clock';
import { HandshakeMiddleware } from '../transport/handshake.middleware';
import { IdGenerator } from '../shared/ids';
import { PresenceKeeper } from '../presence/presence-keeper';
import { SessionPruner } from '../sessions/session-pruner';
import { MessageStore } from '../messaging/stores/message.store';
import { PresenceStore } from '../presence/stores/presence.store';
import { SessionStore } from '../sessions/stores/session.store';

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
      provide: ChatOptions,
      useFactory: (config: AppConfigService) =>
        new ChatOptions({
          historyLimit: config.get('historyLimit', { infer: true }),
          trustProxy: config.get('trustProxy', { infer: true }),
          maxConnectionsPerAddress: config.get('maxConnectionsPerAddress', {
            infer: true,
          }),
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
