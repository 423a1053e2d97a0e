import { sessionStoreContract } from '../session.store.contract';
import { MemorySessionStore } from './memory-session.store';

sessionStoreContract('memory', (options) => new MemorySessionStore(options));
