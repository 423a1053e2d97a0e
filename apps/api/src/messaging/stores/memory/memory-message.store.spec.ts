import { messageStoreContract } from '../message.store.contract';
import { MemoryMessageStore } from './memory-message.store';

messageStoreContract('memory', () => new MemoryMessageStore());
