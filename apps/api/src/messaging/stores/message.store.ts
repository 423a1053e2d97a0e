import type { Message } from '@chat/contracts';

/** Some messages of one conversation, oldest first; `hasMore`: older ones exist. */
export interface MessagePage {
  messages: Message[];
  hasMore: boolean;
}

/** The most recent messages of one of a user's conversations, with the other user. */
export interface RecentConversation extends MessagePage {
  peerID: string;
}

/**
 * Where private messages live. Abstract class: it is also the DI token. A conversation is the set
 * of messages between two users in either direction (a message to self is the conversation of a
 * user with themself); within one, messages are ordered by `id` (ids sort in the order the server
 * accepted them). Reads are per conversation and bounded; every read names the reading user, so
 * nobody can read a conversation they are not part of.
 */
export abstract class MessageStore {
  /**
   * Stores one message, at most once per sender and `message.clientMessageId` (the client's
   * idempotency key, optional): resolves, once durable for this implementation, with the stored
   * message, which is `message` itself, or, if `message.from` already stored a message under that
   * `clientMessageId`, that earlier message (its id, time, content and recipient, whatever `message`
   * holds; `message` is then not stored). Several saves with one key at once store one message and
   * all resolve with it. Without a key every save stores its message. A key is remembered as long
   * as its message is stored (Redis: for a day after it was first used, see RedisMessageStore).
   * Every read gives a message back with its `clientMessageId` if it was saved with one, and
   * without the property at all otherwise.
   */
  abstract saveMessage(message: Message): Promise<Message>;

  /**
   * Each conversation `userID` is part of (in no particular order), with its last `limit`
   * messages, oldest first.
   */
  abstract findRecentConversations(
    userID: string,
    limit: number,
  ): Promise<RecentConversation[]>;

  /**
   * The at most `limit` messages of the conversation between `userID` and `peerID` whose id is
   * strictly less than `beforeID`, oldest first; `hasMore`: even older ones exist. Empty if there is
   * no such conversation.
   */
  abstract findMessagesBefore(
    userID: string,
    peerID: string,
    beforeID: string,
    limit: number,
  ): Promise<MessagePage>;

  /**
   * Forgets a user: deletes at most about `limit` rows of their conversations (messages first, then
   * the emptied conversations), so that a caller can yield between calls. Resolves true once
   * nothing of that user is left. The `clientMessageId`s of the deleted messages are forgotten with
   * them (Redis: they expire, see RedisMessageStore).
   */
  abstract deleteUserMessages(userID: string, limit: number): Promise<boolean>;

  /**
   * The greatest message id ever saved (still so after deletions), or undefined if none was: the
   * id generator starts after it so that order survives a restart.
   */
  abstract findLatestMessageID(): Promise<string | undefined>;
}
