import { RedisConversationStateStore } from '../../conversation-state/stores/redis/redis-conversation-state.store';
import { RedisMessageStore } from '../../messaging/stores/redis/redis-message.store';
import { RedisPresenceStore } from '../../presence/stores/redis/redis-presence.store';
import { RedisRateLimiter } from '../../rate-limiting/stores/redis/redis-rate-limiter';
import { RedisSessionStore } from '../../sessions/stores/redis/redis-session.store';
import { useRedis } from '../../testing/store-backends';
import { RedisKeys } from './redis-keys';

// Every store of every capability against one real Redis: nothing outside the prefix.
const redis = useRedis();

describe('Redis keys', () => {
  it('start with the prefix, all of them', async () => {
    const k = redis.keys();
    const sessions = new RedisSessionStore(redis.client, k);
    const messages = new RedisMessageStore(redis.client, k);
    const presence = new RedisPresenceStore(redis.client, k, {
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
    await new RedisConversationStateStore(redis.client, k).updateMarkers({
      reader: 'v',
      peer: 'u',
      read: '01JZ0000000000000000000001',
      publicRead: true,
    });
    await sessions.updateSettings('u', { typing: false });
    await messages.indexReceivedMessages();
    await presence.refresh();
    await presence.connect('u');
    await new RedisRateLimiter(redis.client, k, {
      perSecond: 1,
      burst: 1,
    }).take('u');
    const ours: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.client.scan(
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
        'markers:{1:u:v}',
        'messages:latest',
        'messages:received-index',
        'peers:u',
        'peers:v',
        'presence:heartbeat:' + presence.nodeID,
        'presence:last-heartbeat',
        'presence:node-users:' + presence.nodeID,
        'presence:nodes',
        'presence:online',
        'presence:user:u',
        'rate:u',
        'received:{1:u:v}:v',
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
    expect(k.markers('a:b', 'c')).not.toBe(k.markers('a', 'b:c'));
    expect(k.markers('bob', 'alice')).toBe(k.markers('alice', 'bob'));
  });

  it("tag every key kept per conversation with the conversation's hash tag", () => {
    const k = new RedisKeys('p:');
    const tag = '{5:alice:bob}';
    expect(k.conversationTag('bob', 'alice')).toBe(tag);
    // Redis Cluster hashes the first {...} of a key: this one.
    for (const key of [
      k.markers('alice', 'bob'),
      k.received('alice', 'bob'),
      k.received('bob', 'alice'),
    ])
      expect(key.slice(key.indexOf('{'), key.indexOf('}') + 1)).toBe(tag);
    expect(k.received('bob', 'alice')).toBe('p:received:{5:alice:bob}:bob');
  });
});
