import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfigService } from '../config/app-config.module';
import { ConversationStateStore } from '../conversation-state/stores/conversation-state.store';
import { MessageStore } from '../messaging/stores/message.store';
import { PresenceModule } from '../presence/presence.module';
import { PresenceService } from '../presence/presence.service';
import { SessionPruner } from './session-pruner';
import { SessionsService } from './sessions.service';
import { SessionStore } from './stores/session.store';

/** Messages deleted (or sessions listed) per step of the pruner. */
const PRUNE_BATCH_SIZE = 500;

/**
 * Sessions: who a client is (the handshake), the user's settings, and forgetting expired sessions
 * with their conversations and markers. The stores come from the global StoresModule.
 */
@Module({
  imports: [PresenceModule],
  providers: [
    SessionsService,
    {
      provide: SessionPruner,
      useFactory: (
        sessions: SessionStore,
        messages: MessageStore,
        conversationState: ConversationStateStore,
        config: AppConfigService,
        presence: PresenceService,
      ) =>
        new SessionPruner(
          sessions,
          messages,
          conversationState,
          {
            intervalMs: config.get('sessionPruneIntervalMs', { infer: true }),
            batchSize: PRUNE_BATCH_SIZE,
          },
          presence,
        ),
      inject: [
        SessionStore,
        MessageStore,
        ConversationStateStore,
        ConfigService,
        PresenceService,
      ],
    },
  ],
  exports: [SessionsService, SessionPruner],
})
export class SessionsModule {}
