import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfigService } from '../../../config/app-config.module';
import { Clock } from '../../clock';
import { MessageStore } from '../message.store';
import { PresenceStore } from '../presence.store';
import { SessionStore } from '../session.store';
import { MemoryMessageStore } from './memory-message.store';
import { MemoryPresenceStore } from './memory-presence.store';
import { MemorySessionStore } from './memory-session.store';

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
