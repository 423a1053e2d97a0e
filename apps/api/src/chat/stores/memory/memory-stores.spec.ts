import { messageStoreContract } from '../message.store.contract';
import { presenceStoreContract } from '../presence.store.contract';
import { sessionStoreContract } from '../session.store.contract';
import { MemoryMessageStore } from './memory-message.store';
import { MemoryPresenceStore } from './memory-presence.store';
import { MemorySessionStore } from './memory-session.store';

sessionStoreContract('memory', (options) => new MemorySessionStore(options));
messageStoreContract('memory', () => new MemoryMessageStore());
presenceStoreContract('memory', () => new MemoryPresenceStore());
