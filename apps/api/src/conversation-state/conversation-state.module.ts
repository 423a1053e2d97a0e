import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfigService } from '../config/app-config.module';
import { ConversationStateService } from './conversation-state.service';
import { TypingLimits } from './typing-limits';

/**
 * Receipts, read markers, unread counts and typing. ConversationStateStore, SessionStore (whose
 * settings decide who is told what) and RateLimits come from the global StoresModule, Clock from
 * SharedModule.
 */
@Module({
  providers: [
    ConversationStateService,
    {
      provide: TypingLimits,
      // Over all recipients, a sender's typing has the budget of their messages (per node).
      useFactory: (config: AppConfigService) =>
        new TypingLimits(config.get('rateLimit', { infer: true })),
      inject: [ConfigService],
    },
  ],
  exports: [ConversationStateService],
})
export class ConversationStateModule {}
