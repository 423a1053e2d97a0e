import type { Message } from '@chat/contracts';
import type { Redis } from 'ioredis';
import {
  MessageStore,
  type MessagePage,
  type RecentConversation,
} from '../message.store';
import type { RedisKeys } from '../../../shared/redis/redis-keys';
import { defineOnce } from '../../../shared/redis/define-once';
import { scanKeys } from '../../../shared/redis/scan';
import { TurnBatch } from '../../../shared/batching';

/**
 * A conversation member: the id, a NUL, the message as JSON. All scores are 0, so members sort
 * byte by byte, i.e. by id (JSON never contains a raw NUL, and NUL sorts before any character):
 * a lexicographic range on the id alone selects messages by id. The JSON holds `clientMessageId`
 * only for a message sent with one (JSON.stringify leaves an undefined value out), so reads, and
 * the answer to a repeat (its client key holds the member), hand it out with the message.
 */
const SEPARATOR = '\u0000';

const toMember = (message: Message): string =>
  `${message.id}${SEPARATOR}${JSON.stringify({
    id: message.id,
    content: message.content,
    from: message.from,
    to: message.to,
    at: message.at,
    clientMessageId: message.clientMessageId,
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
 * A turn's saves in one script (atomic, like the MULTI it replaces, and one command instead of one
 * per message: fewer objects per message in the api, and fewer replies to parse).
 *
 * KEYS: the latest id's set, the N conversations, the N recipients' `received` indexes (of each
 * message's conversation), the P pairs of partner sets (of the messages without a
 * `clientMessageId`), then for each of the K messages with one: its client key and its two partner
 * sets. ARGV: N, P, K, the client keys' TTL (ms), the greatest id of the messages without a
 * `clientMessageId` ('' if none), the N members, for each pair of partner sets the member each one
 * gets, then for each of the K: its index among the N, its id, and its two partners.
 *
 * A saved message's id goes into its recipient's `received` index with it (conversation state
 * counts unread messages there).
 *
 * A message with a `clientMessageId` is saved only if its client key can be set (SET NX, holding its
 * member); otherwise it is a repeat, and nothing of it is written: its result is '=' and the member
 * stored first. Its partners and id are written only once it is saved, so that a repeat changes
 * nothing. Returns, per message, '' (saved), '=' and the earlier member (a repeat), or '!' and the
 * error of its ZADD (then its client key is deleted again; the others are saved regardless, as in a
 * MULTI); an error in the shared writes fails the whole script.
 */
const SAVE_MESSAGES = `
local n, p, k, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local keyedKeys, keyedArgs = 1 + 2 * n + 2 * p, 5 + n + 2 * p
local keyed = {}
for m = 1, k do keyed[tonumber(ARGV[keyedArgs + 4 * m - 3])] = m end
local result = {}
for i = 1, n do
  local member = ARGV[5 + i]
  local m = keyed[i]
  local clientKey = m and KEYS[keyedKeys + 3 * m - 2]
  if clientKey and not redis.call('SET', clientKey, member, 'NX', 'PX', ttl) then
    result[i] = '=' .. redis.call('GET', clientKey)
  else
    local reply = redis.pcall('ZADD', KEYS[1 + i], 0, member)
    if type(reply) == 'table' and reply.err then
      result[i] = '!' .. reply.err
      if clientKey then redis.call('DEL', clientKey) end
    else
      result[i] = ''
      redis.call('ZADD', KEYS[1 + n + i], 0, string.sub(member, 1, string.find(member, '\\0', 1, true) - 1))
      if m then
        local a = keyedArgs + 4 * m - 3
        redis.call('SADD', KEYS[keyedKeys + 3 * m - 1], ARGV[a + 2])
        redis.call('SADD', KEYS[keyedKeys + 3 * m], ARGV[a + 3])
        redis.call('ZADD', KEYS[1], 0, ARGV[a + 1])
      end
    end
  end
end
for j = 1, 2 * p do
  redis.call('SADD', KEYS[1 + 2 * n + j], ARGV[5 + n + j])
end
if ARGV[5] ~= '' then redis.call('ZADD', KEYS[1], 0, ARGV[5]) end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -2)
return result
`;

/**
 * How long a `clientMessageId` is remembered (its client key's TTL): a repeat within a day gets the
 * message stored first. A key outlives its message if that is deleted sooner (the user forgotten):
 * a repeat is then still answered with it, and stores nothing.
 */
export const CLIENT_MESSAGE_ID_TTL_MS = 24 * 60 * 60 * 1000;

/** Most messages saved by one script. */
const MAX_BATCH = 1000;

/** Keys scanned, or messages read, per round trip while indexing stored messages. */
const INDEX_PAGE = 500;

interface SaveMessagesCommand {
  chatSaveMessages(
    numberOfKeys: number,
    ...keysAndArgs: (string | number)[]
  ): Promise<string[]>;
}

/**
 * `STORE=redis` messages: one sorted set per conversation (see toMember), each user's set of
 * conversation partners, the greatest id ever saved, and a client key per message sent with a
 * `clientMessageId` (for `CLIENT_MESSAGE_ID_TTL_MS`).
 *
 * Saves are group-committed, as with SQLite: every message saved during one turn of the event loop
 * goes in one script (SAVE_MESSAGES) at the end of that turn (TurnBatch), and each save resolves
 * once that script has run. A message and its indexes appear together or not at all. A repeated
 * `clientMessageId` is told apart inside the script, so atomically, whatever node or turn the
 * first one came from.
 */
export class RedisMessageStore extends MessageStore {
  private readonly saves = new TurnBatch<Message, Message>(
    (messages) => this.commit(messages),
    MAX_BATCH,
  );

  private readonly redis: Redis & SaveMessagesCommand;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    super();
    defineOnce(redis, 'chatSaveMessages', 'variadic', SAVE_MESSAGES);
    this.redis = redis as Redis & SaveMessagesCommand;
  }

  saveMessage(message: Message): Promise<Message> {
    return this.saves.add(message);
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
      // Its indexes of received messages (one hash slot: one command).
      await this.redis.del(
        this.keys.received(userID, peerID),
        this.keys.received(peerID, userID),
      );
      await this.redis
        .multi()
        .srem(this.keys.peers(userID), peerID)
        .srem(this.keys.peers(peerID), userID)
        .exec();
      budget -= 1;
    }
    return true;
  }

  /**
   * Builds the `received` indexes of the messages stored before they existed (an earlier version),
   * once per deployment: every conversation is read in pages and its ids added to the index of
   * their recipient (ZADD: repeating it, or running it on two nodes at once, is harmless). Resolves
   * with the number of messages indexed; 0 if it was done already. Messages that a node of an
   * earlier version stores after that are not indexed (see README, upgrades).
   */
  async indexReceivedMessages(): Promise<number> {
    if ((await this.redis.get(this.keys.receivedIndexVersion)) === '1')
      return 0;
    // SCAN's pattern is a glob: the prefix's own glob characters are escaped.
    const pattern = `${this.keys.conversationPrefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let indexed = 0;
    for await (const found of scanKeys(this.redis, pattern, INDEX_PAGE))
      for (const conversation of found)
        indexed += await this.indexConversation(conversation);
    await this.redis.set(this.keys.receivedIndexVersion, '1');
    return indexed;
  }

  /** Adds one conversation's ids to the `received` index of each one's recipient. */
  private async indexConversation(conversation: string): Promise<number> {
    let indexed = 0;
    for (let start = 0; ; start += INDEX_PAGE) {
      const members = await this.redis.zrange(
        conversation,
        start,
        start + INDEX_PAGE - 1,
      );
      if (members.length === 0) return indexed;
      const byIndex = new Map<string, string[]>();
      for (const member of members) {
        const { id, from, to } = toMessage(member);
        const index = this.keys.received(to, from);
        byIndex.set(index, [...(byIndex.get(index) ?? []), id]);
      }
      const pipeline = this.redis.pipeline();
      for (const [index, ids] of byIndex)
        pipeline.zadd(index, ...ids.flatMap((id) => [0, id]));
      for (const [error] of (await pipeline.exec()) ?? [])
        if (error) throw error;
      indexed += members.length;
      if (members.length < INDEX_PAGE) return indexed;
    }
  }

  async findLatestMessageID(): Promise<string | undefined> {
    const [latest] = await this.redis.zrange(this.keys.latestMessageID, -1, -1);
    return latest;
  }

  /** Writes a turn's saves in one script: what each save stored, or why it failed. */
  private async commit(batch: Message[]): Promise<(Message | Error)[]> {
    const conversations: string[] = [];
    const indexes: string[] = [];
    const members: string[] = [];
    const pairs = new Set<string>();
    // The messages with a `clientMessageId`: their keys and arguments (see SAVE_MESSAGES).
    const keyedKeys: string[] = [];
    const keyedArgs: (string | number)[] = [];
    let latest = '';
    batch.forEach((message, i) => {
      const { from, to, id, clientMessageId } = message;
      conversations.push(this.keys.conversation(from, to));
      indexes.push(this.keys.received(to, from));
      members.push(toMember(message));
      if (clientMessageId !== undefined) {
        keyedKeys.push(
          this.keys.clientMessage(from, clientMessageId),
          this.keys.peers(from),
          this.keys.peers(to),
        );
        keyedArgs.push(i + 1, id, to, from);
        return;
      }
      pairs.add(from < to ? `${from} ${to}` : `${to} ${from}`);
      if (id > latest) latest = id;
    });
    const peerSets: string[] = [];
    const peers: string[] = [];
    for (const pair of pairs) {
      const [a, b] = pair.split(' ');
      peerSets.push(this.keys.peers(a), this.keys.peers(b));
      peers.push(b, a);
    }
    const results = await this.redis.chatSaveMessages(
      1 + 2 * conversations.length + peerSets.length + keyedKeys.length,
      this.keys.latestMessageID,
      ...conversations,
      ...indexes,
      ...peerSets,
      ...keyedKeys,
      batch.length,
      pairs.size,
      keyedKeys.length / 3,
      CLIENT_MESSAGE_ID_TTL_MS,
      latest,
      ...members,
      ...peers,
      ...keyedArgs,
    );
    return batch.map((message, i) => {
      const result = results[i];
      if (result === '') return message;
      if (result.startsWith('=')) return toMessage(result.slice(1));
      return new Error(result.slice(1));
    });
  }
}
