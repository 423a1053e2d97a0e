import { presenceStoreContract } from '../presence.store.contract';
import { MemoryPresenceStore } from './memory-presence.store';

presenceStoreContract('memory', () => new MemoryPresenceStore());
