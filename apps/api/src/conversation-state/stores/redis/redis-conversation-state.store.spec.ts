import { RedisMessageStore } from '../../../messaging/stores/redis/redis-message.store';
import { RedisKeys } from '../../../shared/redis/redis-keys';
import { useRedis, useRedisCluster } from '../../../testing/store-backends';
import {
  conversationStateStoreContract,
  type ConversationStores,
} from '../conversation-state.store.contract';
import { RedisConversationStateStore } from './redis-conversation-state.store';

// Against a real Redis (REDIS_URL, or a redis-server of this run's own): one key prefix per test,
// so each store starts empty; every key of the run is deleted at the end.
const redis = useRedis();

// Each pair of stores' keys, for a second pair on them: another node, with its own client.
const keysOf = new Map<ConversationStores, RedisKeys>();
conversationStateStoreContract(
  'redis',
  () => {
    const keys = redis.keys();
    const stores = {
      messages: new RedisMessageStore(redis.client, keys),
      state: new RedisConversationStateStore(redis.client, keys),
    };
    keysOf.set(stores, keys);
    return stores;
  },
  (stores) => void keysOf.delete(stores),
  {
    reopen: (stores) => {
      const keys = keysOf.get(stores);
      if (!keys) throw new Error('not stores of this suite');
      const again = new RedisKeys(keys.prefix);
      return {
        messages: new RedisMessageStore(redis.otherNode, again),
        state: new RedisConversationStateStore(redis.otherNode, again),
      };
    },
  },
);

// The same on a Redis Cluster of three masters: every script's keys in one hash slot.
const cluster = useRedisCluster();
const clusterKeysOf = new Map<ConversationStores, RedisKeys>();
conversationStateStoreContract(
  'redis cluster',
  () => {
    const keys = cluster.keys();
    const stores = {
      messages: new RedisMessageStore(cluster.client, keys),
      state: new RedisConversationStateStore(cluster.client, keys),
    };
    clusterKeysOf.set(stores, keys);
    return stores;
  },
  (stores) => void clusterKeysOf.delete(stores),
  {
    reopen: (stores) => {
      const keys = clusterKeysOf.get(stores);
      if (!keys) throw new Error('not stores of this suite');
      const again = new RedisKeys(keys.prefix, true);
      return {
        messages: new RedisMessageStore(cluster.otherNode, again),
        state: new RedisConversationStateStore(cluster.otherNode, again),
      };
    },
  },
);

describe('RedisMessageStore.indexReceivedMessages', () => {
  const message = (n: number, from: string, to: string) => ({
    id: `01JZ${String(n).padStart(22, '0')}`,
    content: `m${n}`,
    from,
    to,
    at: new Date(0).toISOString(),
  });

  it('indexes the messages stored before the index existed, once, whatever glob characters the prefix holds', async () => {
    const keys = new RedisKeys(`${redis.keys().prefix}x[*?]\\:`);
    const messages = new RedisMessageStore(redis.client, keys);
    const state = new RedisConversationStateStore(redis.client, keys);
    // 1200 messages: several pages of one conversation.
    for (let n = 1; n <= 1200; n++)
      await messages.saveMessage(
        n % 3 === 0 ? message(n, 'bob', 'alice') : message(n, 'alice', 'bob'),
      );
    await messages.saveMessage(message(1201, 'carol', 'alice'));
    // As an earlier version left them: no index at all.
    await redis.client.del(
      keys.received('alice', 'bob'),
      keys.received('bob', 'alice'),
      keys.received('alice', 'carol'),
    );
    // A key of another deployment whose prefix the glob would match unescaped.
    const other = new RedisKeys(`${redis.keys().prefix}xa?]\\:`);
    await new RedisMessageStore(redis.client, other).saveMessage(
      message(1, 'dave', 'erin'),
    );
    await redis.client.del(other.received('erin', 'dave'));
    expect(await state.findStates('alice', ['bob', 'carol'])).toEqual([]);

    expect(await messages.indexReceivedMessages()).toBe(1201);
    expect(
      (await state.findStates('alice', ['bob', 'carol'])).sort((a, b) =>
        a.peerID.localeCompare(b.peerID),
      ),
    ).toEqual([
      { peerID: 'bob', unread: 400 },
      { peerID: 'carol', unread: 1 },
    ]);
    expect(await state.findStates('bob', ['alice'])).toEqual([
      { peerID: 'alice', unread: 800 },
    ]);
    expect(
      await state.updateMarkers({
        reader: 'bob',
        peer: 'alice',
        read: message(1000, 'alice', 'bob').id,
        publicRead: true,
      }),
    ).toMatchObject({ ok: true, unread: 133 });
    // Done once per deployment.
    expect(await messages.indexReceivedMessages()).toBe(0);
    expect(await redis.client.exists(other.received('erin', 'dave'))).toBe(0);
  });
});
