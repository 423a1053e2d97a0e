import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfigService } from '../../../config/app-config.module';
import { Clock } from '../../../shared/clock';
import { MessageStore } from '../../../messaging/stores/message.store';
import { PresenceStore } from '../../../presence/stores/presence.store';
import { SessionStore } from '../../../sessions/stores/session.store';
import { MemoryMessageStore } from '../../../messaging/stores/memory/memory-message.store';
import { MemoryPresenceStore } from '../../../presence/stores/memory/memory-presence.store';
import { MemorySessionStore } from '../../../sessions/stores/memory/memory-session.store';

/** `STORE=memory`: everything in this process, lost on restart. */
@Module({
  providers: [
    {
      provide: SessionStore,
      useFactory: (config: AppConfigService, clock: Clock) =>
        new MemorySessionStore({
          ttlMs: config.get('sessionTtlMs', { infer: true }),
          clock,
        }),
      inject: [ConfigService, Clock],
    },
    { provide: MessageStore, useFactory: () => new MemoryMessageStore() },
    { provide: PresenceStore, useFactory: () => new MemoryPresenceStore() },
  ],
  exports: [SessionStore, MessageStore, PresenceStore],
})
export class MemoryStoresModule {}
