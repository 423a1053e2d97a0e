import type { Message } from '@chat/contracts';
import {
  MessageStore,
  type MessagePage,
  type RecentConversation,
} from '../message.store';

/** One key per pair of users, whichever direction: JSON keeps it unambiguous for any ids. */
const conversationKey = (a: string, b: string): string =>
  JSON.stringify(a < b ? [a, b] : [b, a]);

const copy = (message: Message): Message => ({ ...message });

/** One key per sender and `clientMessageId` (userIDs hold no NUL character). */
const clientKey = (from: string, clientMessageId: string): string =>
  `${from}\u0000${clientMessageId}`;

export class MemoryMessageStore extends MessageStore {
  // Each conversation's messages, sorted by id; and each user's conversation partners.
  private readonly conversations = new Map<string, Message[]>();
  private readonly peers = new Map<string, Set<string>>();
  private latestID: string | undefined;
  // The messages saved with a `clientMessageId`, by clientKey (the stored objects keep their key).
  private readonly byClientKey = new Map<string, Message>();

  async saveMessage(message: Message): Promise<Message> {
    // The stored object keeps the message's `clientMessageId`, if any: reads hand it out.
    const stored = copy(message);
    const { clientMessageId } = message;
    if (clientMessageId !== undefined) {
      const clientID = clientKey(message.from, clientMessageId);
      const earlier = this.byClientKey.get(clientID);
      if (earlier) return copy(earlier);
      this.byClientKey.set(clientID, stored);
    }
    const key = conversationKey(message.from, message.to);
    const list = this.conversations.get(key) ?? [];
    this.conversations.set(key, list);
    // Keep the list ordered even if saves complete out of order.
    list.splice(this.indexOf(list, message.id), 0, stored);
    this.addPeer(message.from, message.to);
    this.addPeer(message.to, message.from);
    if (this.latestID === undefined || message.id > this.latestID)
      this.latestID = message.id;
    return message;
  }

  async findRecentConversations(
    userID: string,
    limit: number,
  ): Promise<RecentConversation[]> {
    return [...(this.peers.get(userID) ?? [])].map((peerID) => {
      const list = this.conversations.get(conversationKey(userID, peerID));
      return { peerID, ...this.page(list ?? [], list?.length ?? 0, limit) };
    });
  }

  async findMessagesBefore(
    userID: string,
    peerID: string,
    beforeID: string,
    limit: number,
  ): Promise<MessagePage> {
    const list = this.conversations.get(conversationKey(userID, peerID)) ?? [];
    return this.page(list, this.indexOf(list, beforeID), limit);
  }

  async deleteUserMessages(userID: string, limit: number): Promise<boolean> {
    let budget = limit;
    for (const peerID of this.peers.get(userID) ?? []) {
      if (budget <= 0) return false;
      const key = conversationKey(userID, peerID);
      const list = this.conversations.get(key) ?? [];
      // Oldest first, like the SQLite store.
      const deleted = list.splice(0, budget);
      budget -= deleted.length;
      for (const { from, clientMessageId } of deleted)
        if (clientMessageId !== undefined)
          this.byClientKey.delete(clientKey(from, clientMessageId));
      if (list.length > 0) return false;
      this.conversations.delete(key);
      this.peers.get(userID)?.delete(peerID);
      this.peers.get(peerID)?.delete(userID);
      budget -= 1;
    }
    this.peers.delete(userID);
    return true;
  }

  async findLatestMessageID(): Promise<string | undefined> {
    return this.latestID;
  }

  /**
   * The messages between two users, both ways, sorted by id: not copies (read them, never change
   * them). What MemoryConversationStateStore checks receipts and counts unread messages in.
   */
  messagesBetween(a: string, b: string): readonly Message[] {
    return this.conversations.get(conversationKey(a, b)) ?? [];
  }

  /** The `limit` messages before index `end`, oldest first. */
  private page(list: Message[], end: number, limit: number): MessagePage {
    const start = Math.max(0, end - limit);
    return { messages: list.slice(start, end).map(copy), hasMore: start > 0 };
  }

  /** Index of the first message whose id is not less than `id` (binary search). */
  private indexOf(list: Message[], id: string): number {
    return lowerBound(list, id);
  }

  private addPeer(userID: string, peerID: string): void {
    const peers = this.peers.get(userID);
    if (peers) peers.add(peerID);
    else this.peers.set(userID, new Set([peerID]));
  }
}

/** Index of the first message of `list` (sorted by id) whose id is not less than `id`. */
export function lowerBound(list: readonly Message[], id: string): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (list[middle].id < id) low = middle + 1;
    else high = middle;
  }
  return low;
}
