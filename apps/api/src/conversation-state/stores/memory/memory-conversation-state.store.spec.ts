import { MemoryMessageStore } from '../../../messaging/stores/memory/memory-message.store';
import { conversationStateStoreContract } from '../conversation-state.store.contract';
import { MemoryConversationStateStore } from './memory-conversation-state.store';

conversationStateStoreContract('memory', () => {
  const messages = new MemoryMessageStore();
  return { messages, state: new MemoryConversationStateStore(messages) };
});
