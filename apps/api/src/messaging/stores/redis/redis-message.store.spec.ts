import type { Message } from '@chat/contracts';
import { RedisKeys } from '../../../shared/redis/redis-keys';
import { useRedis, useRedisCluster } from '../../../testing/store-backends';
import type { MessageStore } from '../message.store';
import { messageStoreContract } from '../message.store.contract';
import {
  CLIENT_MESSAGE_ID_TTL_MS,
  RedisMessageStore,
} from './redis-message.store';

// Against a real Redis (REDIS_URL, or a redis-server of this run's own): one key prefix per test,
// so each store starts empty; every key of the run is deleted at the end.
const redis = useRedis();

// Each message store's keys, for a second store on them: another node, with its own redis.client.
const keysOf = new Map<MessageStore, RedisKeys>();
messageStoreContract(
  'redis',
  () => {
    const k = redis.keys();
    const store = new RedisMessageStore(redis.client, k);
    keysOf.set(store, k);
    return store;
  },
  (store) => void keysOf.delete(store),
  {
    reopen: (store) => {
      const k = keysOf.get(store);
      if (!k) throw new Error('not a store of this suite');
      return new RedisMessageStore(redis.otherNode, new RedisKeys(k.prefix));
    },
    clientMessageIdsExpire: true,
  },
);

// The same on a Redis Cluster of three masters: every script's keys in one hash slot.
const cluster = useRedisCluster();
const clusterKeysOf = new Map<MessageStore, RedisKeys>();
messageStoreContract(
  'redis cluster',
  () => {
    const k = cluster.keys();
    const store = new RedisMessageStore(cluster.client, k);
    clusterKeysOf.set(store, k);
    return store;
  },
  (store) => void clusterKeysOf.delete(store),
  {
    reopen: (store) => {
      const k = clusterKeysOf.get(store);
      if (!k) throw new Error('not a store of this suite');
      return new RedisMessageStore(
        cluster.otherNode,
        new RedisKeys(k.prefix, true),
      );
    },
    clientMessageIdsExpire: true,
  },
);
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
    const k = redis.keys();
    const messages = new RedisMessageStore(redis.client, k);
    // A key of the wrong type: ZADD to that conversation fails (WRONGTYPE).
    await redis.client.set(k.conversation('x', 'y'), 'not a sorted set');
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
    const k = redis.keys();
    const [one, two] = [
      new RedisMessageStore(redis.client, k),
      new RedisMessageStore(redis.otherNode, new RedisKeys(k.prefix)),
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
    const k = redis.keys();
    const messages = new RedisMessageStore(redis.client, k);
    await messages.saveMessage(message(1, 'a', 'b', 'k'));
    const ttl = await redis.client.pttl(k.clientMessage('a', 'k'));
    expect(ttl).toBeGreaterThan(CLIENT_MESSAGE_ID_TTL_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(CLIENT_MESSAGE_ID_TTL_MS);
    expect(CLIENT_MESSAGE_ID_TTL_MS).toBe(24 * 60 * 60 * 1000);
  });

  it('does not keep the key of a message whose write failed: sending again stores it', async () => {
    const k = redis.keys();
    const messages = new RedisMessageStore(redis.client, k);
    await redis.client.set(k.conversation('x', 'y'), 'not a sorted set');
    await expect(
      messages.saveMessage(message(1, 'x', 'y', 'k')),
    ).rejects.toThrow(/WRONGTYPE/);
    expect(await redis.client.exists(k.clientMessage('x', 'k'))).toBe(0);
    expect(await messages.findLatestMessageID()).toBeUndefined();
    expect(await redis.client.exists(k.peers('x'))).toBe(0);
    await redis.client.del(k.conversation('x', 'y'));
    expect(await messages.saveMessage(message(2, 'x', 'y', 'k'))).toEqual(
      message(2, 'x', 'y', 'k'),
    );
  });
});
