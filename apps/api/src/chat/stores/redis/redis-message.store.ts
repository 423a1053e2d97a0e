import type { Message } from '@chat/contracts';
import type { Redis } from 'ioredis';
import {
  MessageStore,
  type MessagePage,
  type RecentConversation,
} from '../message.store';
import type { RedisKeys } from './redis-keys';

/**
 * A conversation member: the id, a NUL, the message as JSON. All scores are 0, so members sort
 * byte by byte, i.e. by id (JSON never contains a raw NUL, and NUL sorts before any character):
 * a lexicographic range on the id alone selects messages by id.
 */
const SEPARATOR = '\u0000';

const toMember = (message: Message): string =>
  `${message.id}${SEPARATOR}${JSON.stringify({
    id: message.id,
    content: message.content,
    from: message.from,
    to: message.to,
    at: message.at,
  })}`;

const toMessage = (member: string): Message =>
  JSON.parse(member.slice(member.indexOf(SEPARATOR) + 1)) as Message;

/** Newest first from Redis, `limit + 1` of them: to oldest first, and whether there are more. */
function toPage(newestFirst: string[], limit: number): MessagePage {
  const hasMore = newestFirst.length > limit;
  return {
    messages: newestFirst.slice(0, limit).reverse().map(toMessage),
    hasMore,
  };
}

/**
 * `STORE=redis` messages: one sorted set per conversation (see toMember), each user's set of
 * conversation partners, and the greatest id ever saved. A save is one MULTI: the message and its
 * indexes appear together or not at all.
 */
export class RedisMessageStore extends MessageStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    super();
  }

  async saveMessage(message: Message): Promise<void> {
    const { from, to, id } = message;
    const results = await this.redis
      .multi()
      .zadd(this.keys.conversation(from, to), 0, toMember(message))
      .sadd(this.keys.peers(from), to)
      .sadd(this.keys.peers(to), from)
      // Keep only the greatest id: members of equal score sort by bytes, like ids.
      .zadd(this.keys.latestMessageID, 0, id)
      .zremrangebyrank(this.keys.latestMessageID, 0, -2)
      .exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error('MULTI aborted');
  }

  async findRecentConversations(
    userID: string,
    limit: number,
  ): Promise<RecentConversation[]> {
    const peers = await this.redis.smembers(this.keys.peers(userID));
    if (peers.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const peerID of peers)
      pipeline.zrange(
        this.keys.conversation(userID, peerID),
        '+',
        '-',
        'BYLEX',
        'REV',
        'LIMIT',
        0,
        limit + 1,
      );
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([error, members], i) => {
      if (error) throw error;
      const page = toPage(members as string[], limit);
      // A partner whose messages were all deleted meanwhile has no conversation any more.
      return page.messages.length > 0 ? [{ peerID: peers[i], ...page }] : [];
    });
  }

  async findMessagesBefore(
    userID: string,
    peerID: string,
    beforeID: string,
    limit: number,
  ): Promise<MessagePage> {
    // Every member starting with a smaller id, or with beforeID plus the separator, sorts below
    // `(beforeID`; beforeID's own message (id, NUL, ...) sorts above it.
    const members = await this.redis.zrange(
      this.keys.conversation(userID, peerID),
      `(${beforeID}`,
      '-',
      'BYLEX',
      'REV',
      'LIMIT',
      0,
      limit + 1,
    );
    return toPage(members, limit);
  }

  async deleteUserMessages(userID: string, limit: number): Promise<boolean> {
    let budget = limit;
    for (const peerID of await this.redis.smembers(this.keys.peers(userID))) {
      if (budget <= 0) return false;
      const conversation = this.keys.conversation(userID, peerID);
      // Oldest first, like the other stores.
      budget -= await this.redis.zremrangebyrank(conversation, 0, budget - 1);
      if ((await this.redis.zcard(conversation)) > 0) return false;
      await this.redis
        .multi()
        .srem(this.keys.peers(userID), peerID)
        .srem(this.keys.peers(peerID), userID)
        .exec();
      budget -= 1;
    }
    return true;
  }

  async findLatestMessageID(): Promise<string | undefined> {
    const [latest] = await this.redis.zrange(this.keys.latestMessageID, -1, -1);
    return latest;
  }
}
