import type { Message } from '@chat/contracts';
import { redisForTests, type TestRedis } from '@chat/test-support';
import { Redis } from 'ioredis';
import type { MessageStore } from '../../../messaging/stores/message.store';
import { messageStoreContract } from '../../../messaging/stores/message.store.contract';
import { presenceStoreContract } from '../../../presence/stores/presence.store.contract';
import { rateLimiterContract } from '../../../rate-limiting/stores/rate-limiter.contract';
import { sessionStoreContract } from '../../../sessions/stores/session.store.contract';
import { RedisKeys } from '../../../shared/redis/redis-keys';
import {
  CLIENT_MESSAGE_ID_TTL_MS,
  RedisMessageStore,
} from '../../../messaging/stores/redis/redis-message.store';
import { RedisPresenceStore } from '../../../presence/stores/redis/redis-presence.store';
import { RedisRateLimiter } from '../../../rate-limiting/stores/redis/redis-rate-limiter';
import { RedisSessionStore } from '../../../sessions/stores/redis/redis-session.store';

// The contract suites against a real Redis (REDIS_URL, or a redis-server of this run's own): one
// key prefix per test, so each store starts empty; every key of the run is deleted at the end.
let redis: TestRedis;
let client: Redis;
/** The client of a second node. */
let otherNode: Redis;
let n = 0;

beforeAll(async () => {
  redis = await redisForTests();
  client = new Redis(redis.url, { maxRetriesPerRequest: 0 });
  otherNode = new Redis(redis.url, { maxRetriesPerRequest: 0 });
});

afterAll(async () => {
  await client.quit();
  await otherNode.quit();
  await redis.stop();
});

const keys = () => new RedisKeys(`${redis.prefix}${++n}:`);

sessionStoreContract(
  'redis',
  (options) => new RedisSessionStore(client, keys(), options),
);
// Each message store's keys, for a second store on them: another node, with its own client.
const keysOf = new Map<MessageStore, RedisKeys>();
messageStoreContract(
  'redis',
  () => {
    const k = keys();
    const store = new RedisMessageStore(client, k);
    keysOf.set(store, k);
    return store;
  },
  (store) => void keysOf.delete(store),
  {
    reopen: (store) => {
      const k = keysOf.get(store);
      if (!k) throw new Error('not a store of this suite');
      return new RedisMessageStore(otherNode, new RedisKeys(k.prefix));
    },
    clientMessageIdsExpire: true,
  },
);
presenceStoreContract(
  'redis',
  () => new RedisPresenceStore(client, keys(), { nodeTimeoutMs: 10_000 }),
);

rateLimiterContract(
  'redis',
  (config) => new RedisRateLimiter(client, keys(), config),
);

describe('RedisRateLimiter', () => {
  it('shares the buckets between nodes: one budget whatever node a tab is on', async () => {
    const k = keys();
    const config = { perSecond: 0.001, burst: 4 };
    const nodes = [
      new RedisRateLimiter(client, k, config),
      new RedisRateLimiter(otherNode, new RedisKeys(k.prefix), config),
    ];
    const answers = await Promise.all(
      nodes.flatMap((node) =>
        Array.from({ length: 4 }, () => node.take('alice')),
      ),
    );
    expect(answers.filter(Boolean)).toHaveLength(4);
    expect(await nodes[1].take('bob')).toBe(true);
  });

  it('lets Redis forget a bucket once it would be full again', async () => {
    const k = keys();
    // Refilled in 2 s: kept 2 s, plus a second of margin.
    await new RedisRateLimiter(client, k, { perSecond: 2, burst: 4 }).take(
      'alice',
    );
    const ttl = await client.pttl(k.rateLimit('alice'));
    expect(ttl).toBeGreaterThan(2_000);
    expect(ttl).toBeLessThanOrEqual(3_000);
  });
});

describe('Redis keys', () => {
  it('start with the prefix, all of them', async () => {
    const k = keys();
    const sessions = new RedisSessionStore(client, k);
    const messages = new RedisMessageStore(client, k);
    const presence = new RedisPresenceStore(client, k, {
      nodeTimeoutMs: 10_000,
    });
    await sessions.saveSession({
      sessionID: 's',
      userID: 'u',
      username: 'n',
      connected: false,
      lastSeen: 1,
    });
    await messages.saveMessage({
      id: '01JZ0000000000000000000001',
      content: 'hi',
      from: 'u',
      to: 'v',
      at: new Date(0).toISOString(),
      clientMessageId: 'c-1',
    });
    await presence.refresh();
    await presence.connect('u');
    await new RedisRateLimiter(client, k, { perSecond: 1, burst: 1 }).take('u');
    const ours: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await client.scan(
        cursor,
        'MATCH',
        '*',
        'COUNT',
        1000,
      );
      ours.push(...found.filter((key) => key.startsWith(k.prefix)));
      cursor = next;
    } while (cursor !== '0');
    expect(ours.sort()).toEqual(
      [
        'client-message:u:c-1',
        'conversation:1:u:v',
        'messages:latest',
        'peers:u',
        'peers:v',
        'presence:heartbeat:' + presence.nodeID,
        'presence:node-users:' + presence.nodeID,
        'presence:nodes',
        'presence:online',
        'presence:user:u',
        'rate:u',
        'session-of:u',
        'session:s',
        'sessions',
        'sessions:directory',
        'sessions:offline',
        'sessions:seq',
      ]
        .map((key) => k.prefix + key)
        .sort(),
    );
  });

  it('keep conversation names apart whatever the ids', () => {
    const k = new RedisKeys('p:');
    expect(k.conversation('a:b', 'c')).not.toBe(k.conversation('a', 'b:c'));
    expect(k.conversation('bob', 'alice')).toBe(k.conversation('alice', 'bob'));
  });
});

/** A message with a fixed, ordered id (`n` < 100), and that `clientMessageId` if given. */
const message = (
  n: number,
  from: string,
  to: string,
  clientMessageId?: string,
): Message => ({
  id: `01JZ00000000000000000000${String(n).padStart(2, '0')}`,
  content: `m${n}`,
  from,
  to,
  at: new Date(0).toISOString(),
  ...(clientMessageId !== undefined && { clientMessageId }),
});

describe('RedisMessageStore group commit', () => {
  it('saves the messages of one turn together, and rejects only the one whose write failed', async () => {
    const k = keys();
    const messages = new RedisMessageStore(client, k);
    // A key of the wrong type: ZADD to that conversation fails (WRONGTYPE).
    await client.set(k.conversation('x', 'y'), 'not a sorted set');
    const saves = [
      messages.saveMessage(message(1, 'a', 'b')),
      messages.saveMessage(message(2, 'x', 'y')),
      messages.saveMessage(message(3, 'b', 'a')),
    ];
    const [first, broken, third] = await Promise.allSettled(saves);
    expect(first.status).toBe('fulfilled');
    expect(broken).toMatchObject({
      status: 'rejected',
      reason: expect.objectContaining({
        message: expect.stringMatching(/WRONGTYPE/),
      }),
    });
    expect(third.status).toBe('fulfilled');
    const page = await messages.findRecentConversations('a', 10);
    expect(page).toEqual([
      {
        peerID: 'b',
        messages: [message(1, 'a', 'b'), message(3, 'b', 'a')],
        hasMore: false,
      },
    ]);
    expect(await messages.findLatestMessageID()).toBe(message(3, 'b', 'a').id);
  });
});

describe('RedisMessageStore and clientMessageIds', () => {
  it('stores one message when two nodes save the same key at the same moment', async () => {
    const k = keys();
    const [one, two] = [
      new RedisMessageStore(client, k),
      new RedisMessageStore(otherNode, new RedisKeys(k.prefix)),
    ];
    const results = await Promise.all([
      one.saveMessage(message(1, 'a', 'b', 'k')),
      two.saveMessage(message(2, 'a', 'b', 'k')),
    ]);
    expect(results[0]).toEqual(results[1]);
    expect([
      message(1, 'a', 'b', 'k'),
      message(2, 'a', 'b', 'k'),
    ]).toContainEqual(results[0]);
    const [conversation] = await two.findRecentConversations('b', 10);
    expect(conversation.messages).toEqual([results[0]]);
    expect(await one.findLatestMessageID()).toBe(results[0].id);
  });

  it('keeps a key for a day', async () => {
    const k = keys();
    const messages = new RedisMessageStore(client, k);
    await messages.saveMessage(message(1, 'a', 'b', 'k'));
    const ttl = await client.pttl(k.clientMessage('a', 'k'));
    expect(ttl).toBeGreaterThan(CLIENT_MESSAGE_ID_TTL_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(CLIENT_MESSAGE_ID_TTL_MS);
    expect(CLIENT_MESSAGE_ID_TTL_MS).toBe(24 * 60 * 60 * 1000);
  });

  it('does not keep the key of a message whose write failed: sending again stores it', async () => {
    const k = keys();
    const messages = new RedisMessageStore(client, k);
    await client.set(k.conversation('x', 'y'), 'not a sorted set');
    await expect(
      messages.saveMessage(message(1, 'x', 'y', 'k')),
    ).rejects.toThrow(/WRONGTYPE/);
    expect(await client.exists(k.clientMessage('x', 'k'))).toBe(0);
    expect(await messages.findLatestMessageID()).toBeUndefined();
    expect(await client.exists(k.peers('x'))).toBe(0);
    await client.del(k.conversation('x', 'y'));
    expect(await messages.saveMessage(message(2, 'x', 'y', 'k'))).toEqual(
      message(2, 'x', 'y', 'k'),
    );
  });
});
