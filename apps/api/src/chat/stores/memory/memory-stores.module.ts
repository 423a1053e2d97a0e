import { Module } from '@nestjs/common';
import { MessageStore } from '../message.store';
import { SessionStore } from '../session.store';
import { MemoryMessageStore } from './memory-message.store';
import { MemorySessionStore } from './memory-session.store';

/** `STORE=memory`: everything in this process, lost on restart. */
@Module({
  providers: [
    { provide: SessionStore, useClass: MemorySessionStore },
    { provide: MessageStore, useClass: MemoryMessageStore },
  ],
  exports: [SessionStore, MessageStore],
})
export class MemoryStoresModule {}
