import { once } from 'node:events';
import { Redis } from 'ioredis';
import type { RedisKeys } from '../../../shared/redis/redis-keys';
import { useRedis, useRedisCluster } from '../../../testing/store-backends';
import { presenceStoreContract } from '../presence.store.contract';
import { RedisPresenceStore } from './redis-presence.store';

// Against a real Redis (REDIS_URL, or a redis-server of this run's own): one key prefix per test,
// so each store starts empty; every key of the run is deleted at the end.
const redis = useRedis();

presenceStoreContract(
  'redis',
  () =>
    new RedisPresenceStore(redis.client, redis.keys(), {
      nodeTimeoutMs: 10_000,
    }),
);

// The same on a Redis Cluster of three masters: every script's keys in one hash slot.
const cluster = useRedisCluster();
presenceStoreContract(
  'redis cluster',
  () =>
    new RedisPresenceStore(cluster.client, cluster.keys(), {
      nodeTimeoutMs: 10_000,
    }),
);

// What only a shared presence store does: several nodes, nodes that die, nodes swept by mistake.
// A node "dies" here by losing its heartbeat key (what its expiry does), so nothing waits on time.
describe('RedisPresenceStore across nodes', () => {
  let keys: RedisKeys;
  let one: RedisPresenceStore;
  let two: RedisPresenceStore;
  let three: RedisPresenceStore;

  const node = (nodeID: string, redisClient = redis.client) =>
    new RedisPresenceStore(redisClient, keys, {
      nodeTimeoutMs: 60_000,
      nodeID,
    });

  beforeEach(async () => {
    keys = redis.keys();
    [one, two, three] = [node('one'), node('two'), node('three')];
    for (const store of [one, two, three]) await store.refresh();
  });

  const die = (store: RedisPresenceStore) =>
    redis.client.del(keys.heartbeat(store.nodeID));
  const online = async (...userIDs: string[]) =>
    [...(await one.onlineAmong(userIDs))].sort();

  it('sees the users of every node, and a user offline only once their last socket anywhere is gone', async () => {
    expect(await one.connect('alice')).toBe(true);
    expect(await two.connect('alice')).toBe(false);
    expect(await three.connect('bob')).toBe(true);
    expect(await online('alice', 'bob', 'carol')).toEqual(['alice', 'bob']);
    expect(await one.disconnect('alice')).toBe(false);
    expect(await two.isOnline('alice')).toBe(true);
    expect(await two.disconnect('alice')).toBe(true);
    expect(await online('alice', 'bob')).toEqual(['bob']);
  });

  it('reports each offline transition exactly once when tabs on several nodes close at once', async () => {
    const stores = [one, two, three];
    for (let round = 0; round < 10; round++) {
      await Promise.all(stores.map((store) => store.connect('alice')));
      const last = await Promise.all(
        stores.map((store) => store.disconnect('alice')),
      );
      expect(last.filter(Boolean)).toHaveLength(1);
    }
  });

  it('sweeps the users of a dead node offline, once, and keeps those with a socket elsewhere', async () => {
    await one.connect('alice');
    await one.connect('carol');
    await two.connect('carol');
    await two.connect('bob');
    await die(one);
    const swept = await Promise.all([two.sweep(), three.sweep()]);
    expect(swept.flatMap((s) => s.offline)).toEqual(['alice']);
    expect(await online('alice', 'bob', 'carol')).toEqual(['bob', 'carol']);
    expect((await two.sweep()).offline).toEqual([]);
    expect(await redis.client.sismember(keys.presenceNodes, 'one')).toBe(0);
    // carol's last socket, on a live node, is then the last one.
    expect(await two.disconnect('carol')).toBe(true);
  });

  it('keeps a user who reconnected elsewhere before the sweep online, without a word', async () => {
    await one.connect('dave');
    await die(one);
    expect(await two.connect('dave')).toBe(false);
    expect((await three.sweep()).offline).toEqual([]);
    expect(await online('dave')).toEqual(['dave']);
  });

  it("does not count a dead node's sockets: a disconnect elsewhere is the last, and the sweep does not repeat it", async () => {
    await one.connect('erin');
    await two.connect('erin');
    await die(one);
    expect(await two.disconnect('erin')).toBe(true);
    expect((await three.sweep()).offline).toEqual([]);
    expect(await online('erin')).toEqual([]);
  });

  it("says when a dead node's users were last seen: its last heartbeat, by Redis's clock", async () => {
    await one.connect('kim');
    const [seconds, micros] = await redis.client.time();
    const beatAt = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    await one.refresh();
    await die(one);
    const swept = await two.sweep();
    expect(swept.offline).toEqual(['kim']);
    const seen = swept.lastSeen.get('kim') ?? 0;
    expect(seen).toBeGreaterThanOrEqual(beatAt);
    expect(seen).toBeLessThan(beatAt + 1000);
    // Forgotten once the node is swept.
    expect(await redis.client.hexists(keys.lastHeartbeats, 'one')).toBe(0);
    expect(await redis.client.hexists(keys.lastHeartbeats, 'two')).toBe(1);
  });

  it('brings back the users of a node swept by mistake (heartbeat lost while it lived)', async () => {
    await one.connect('frank');
    await one.connect('gina');
    await two.connect('gina');
    await die(one);
    expect((await two.sweep()).offline).toEqual(['frank']);
    expect(await one.refresh()).toEqual({ online: ['frank'], offline: [] });
    expect(await online('frank', 'gina')).toEqual(['frank', 'gina']);
    // Its counts are right again: gina's socket there still counts.
    expect(await two.disconnect('gina')).toBe(false);
    expect(await one.disconnect('gina')).toBe(true);
  });

  it('stops sweeping a node that comes back meanwhile', async () => {
    await one.connect('hank');
    await die(one);
    await one.refresh();
    expect((await two.sweep()).offline).toEqual([]);
    expect(await online('hank')).toEqual(['hank']);
  });

  it('leaves: only the users with no socket on another node go offline', async () => {
    await one.connect('ivy');
    await one.connect('jack');
    await two.connect('jack');
    expect(await one.leave()).toEqual(['ivy']);
    expect(await online('ivy', 'jack')).toEqual(['jack']);
    expect(await redis.client.exists(keys.heartbeat('one'))).toBe(0);
    expect(await two.disconnect('jack')).toBe(true);
  });

  it('repairs a failed write on the next refresh, and reports the user it may have left unannounced', async () => {
    const own = new Redis(redis.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    own.on('error', () => undefined);
    await own.connect();
    const flaky = node('flaky', own);
    try {
      await flaky.refresh();
      await flaky.connect('kim');
      const ended = once(own, 'end');
      own.disconnect();
      await ended;
      await expect(flaky.disconnect('kim')).rejects.toThrow();
      // Redis still counts kim's socket on that node.
      expect(await online('kim')).toEqual(['kim']);
      await own.connect();
      expect(await flaky.refresh()).toEqual({ online: [], offline: ['kim'] });
      expect(await online('kim')).toEqual([]);
      await flaky.acknowledge(['kim']);
      expect(await flaky.refresh()).toEqual({ online: [], offline: [] });
    } finally {
      own.disconnect();
    }
  });

  it('reports a change again until it is acknowledged as announced', async () => {
    await one.connect('lee');
    expect(await one.disconnect('lee')).toBe(true);
    // Not acknowledged (the announcement failed): the next refresh reports it as it is now.
    expect(await one.refresh()).toEqual({ online: [], offline: ['lee'] });
    await one.acknowledge(['lee']);
    expect(await one.refresh()).toEqual({ online: [], offline: [] });
  });

  it('hands what a dead node took offline but never announced to the node that sweeps it', async () => {
    await one.connect('mia');
    await one.connect('ned');
    expect(await one.disconnect('mia')).toBe(true);
    expect(await one.disconnect('ned')).toBe(true);
    await one.acknowledge(['ned']);
    await one.connect('pia');
    expect(await one.disconnect('pia')).toBe(true);
    await two.connect('pia'); // back elsewhere meanwhile: nothing to tell
    await die(one); // killed before announcing mia and pia
    expect((await two.sweep()).offline).toEqual(['mia']);
    expect(await two.refresh()).toEqual({ online: [], offline: ['mia'] });
    await two.acknowledge(['mia']);
    expect(await two.refresh()).toEqual({ online: [], offline: [] });
    expect(await three.refresh()).toEqual({ online: [], offline: [] });
    expect(await redis.client.sismember(keys.presenceNodes, 'one')).toBe(0);
  });

  it('stays listed after leaving until its last announcements are acknowledged', async () => {
    await one.connect('oli');
    expect(await one.leave()).toEqual(['oli']);
    expect(await redis.client.sismember(keys.presenceNodes, 'one')).toBe(1);
    await one.acknowledge(['oli']);
    expect(await redis.client.sismember(keys.presenceNodes, 'one')).toBe(0);
    // Leaving with nothing to announce unlists at once.
    await two.leave();
    expect(await redis.client.sismember(keys.presenceNodes, 'two')).toBe(0);
  });

  it('sweeps a node with many users in chunks', async () => {
    const users = Array.from({ length: 450 }, (_, i) => `user-${i}`);
    for (const userID of users) await one.connect(userID);
    await die(one);
    expect((await two.sweep()).offline.sort()).toEqual([...users].sort());
    expect(await one.onlineAmong(users)).toEqual(new Set());
  });
});
