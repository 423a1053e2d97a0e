import type { Message } from '@chat/contracts';

/** Where private messages live. Abstract class: it is also the DI token. */
export abstract class MessageStore {
  /** Stores one message; resolves once it is durable for this implementation. */
  abstract saveMessage(message: Message): Promise<void>;
  /** Every message sent by or to that user (messages to self included once), oldest first (by `id`). */
  abstract findMessagesForUser(userID: string): Promise<Message[]>;
}
