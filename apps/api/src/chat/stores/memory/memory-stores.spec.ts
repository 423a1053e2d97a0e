import { messageStoreContract } from '../../../messaging/stores/message.store.contract';
import { presenceStoreContract } from '../../../presence/stores/presence.store.contract';
import { sessionStoreContract } from '../../../sessions/stores/session.store.contract';
import { MemoryMessageStore } from '../../../messaging/stores/memory/memory-message.store';
import { MemoryPresenceStore } from '../../../presence/stores/memory/memory-presence.store';
import { MemorySessionStore } from '../../../sessions/stores/memory/memory-session.store';

sessionStoreContract('memory', (options) => new MemorySessionStore(options));
messageStoreContract('memory', () => new MemoryMessageStore());
presenceStoreContract('memory', () => new MemoryPresenceStore());
