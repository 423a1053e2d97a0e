import { messageStoreContract } from '../message.store.contract';
import { sessionStoreContract } from '../session.store.contract';
import { MemoryMessageStore } from './memory-message.store';
import { MemorySessionStore } from './memory-session.store';

sessionStoreContract('memory', (options) => new MemorySessionStore(options));
messageStoreContract('memory', () => new MemoryMessageStore());
