import type { PresenceStore } from './presence.store';

/**
 * The behaviour every `PresenceStore` must have as a single node, run against each implementation
 * (memory/memory-presence.store.spec.ts, redis/redis-presence.store.spec.ts). `createStore` must return an empty
 * store (no user online), `destroyStore` releases it. What only a shared store does (several
 * nodes, dead nodes) is in redis/redis-presence.store.spec.ts.
 */
export function presenceStoreContract(
  name: string,
  createStore: () => Promise<PresenceStore> | PresenceStore,
  destroyStore: (store: PresenceStore) => Promise<void> | void = () =>
    undefined,
): void {
  describe(`PresenceStore contract: ${name}`, () => {
    let store: PresenceStore;

    beforeEach(async () => {
      store = await createStore();
    });

    afterEach(async () => {
      await destroyStore(store);
    });

    const online = async (...userIDs: string[]) =>
      [...(await store.onlineAmong(userIDs))].sort();

    it('knows nobody at first', async () => {
      expect(await online('alice', 'bob')).toEqual([]);
      expect(await store.isOnline('alice')).toBe(false);
      expect(await store.onlineAmong([])).toEqual(new Set());
    });

    it('brings a user online with their first socket, offline with their last', async () => {
      expect(await store.connect('alice')).toBe(true);
      expect(await store.isOnline('alice')).toBe(true);
      expect(await store.connect('alice')).toBe(false);
      expect(await store.connect('alice')).toBe(false);
      expect(await store.disconnect('alice')).toBe(false);
      expect(await store.disconnect('alice')).toBe(false);
      expect(await store.isOnline('alice')).toBe(true);
      expect(await store.disconnect('alice')).toBe(true);
      expect(await store.isOnline('alice')).toBe(false);
      // And again from the start.
      expect(await store.connect('alice')).toBe(true);
    });

    it('counts each user apart', async () => {
      await store.connect('alice');
      await store.connect('bob');
      await store.connect('bob');
      expect(await online('alice', 'bob', 'carol')).toEqual(['alice', 'bob']);
      expect(await store.disconnect('bob')).toBe(false);
      expect(await store.disconnect('alice')).toBe(true);
      expect(await online('alice', 'bob', 'carol')).toEqual(['bob']);
    });

    it('reports nothing for a user that has no socket', async () => {
      expect(await store.disconnect('nobody')).toBe(false);
      expect(await store.isOnline('nobody')).toBe(false);
    });

    it('keeps user ids exactly (unicode, separators)', async () => {
      const odd = ['Zoë 🚀', 'a:b', 'a', 'a:b:c', '*', '{x}'];
      for (const userID of odd) expect(await store.connect(userID)).toBe(true);
      expect(await online(...odd, 'b')).toEqual([...odd].sort());
      expect(await store.disconnect('a:b')).toBe(true);
      expect(await online(...odd)).toEqual(
        odd.filter((id) => id !== 'a:b').sort(),
      );
    });

    it('reports one transition per user under concurrent connects and disconnects', async () => {
      const connects = await Promise.all(
        Array.from({ length: 30 }, () => store.connect('alice')),
      );
      expect(connects.filter(Boolean)).toHaveLength(1);
      const disconnects = await Promise.all(
        Array.from({ length: 30 }, () => store.disconnect('alice')),
      );
      expect(disconnects.filter(Boolean)).toHaveLength(1);
      expect(await store.isOnline('alice')).toBe(false);
    });

    it('changes nothing on upkeep while this node is alive and alone', async () => {
      await store.connect('alice');
      expect(await store.refresh()).toEqual({ online: [], offline: [] });
      expect(await store.sweep()).toEqual({ offline: [], lastSeen: new Map() });
      expect(await store.isOnline('alice')).toBe(true);
    });

    it('forgets every socket of this node when it leaves, reporting who went offline', async () => {
      await store.connect('alice');
      await store.connect('alice');
      await store.connect('bob');
      await store.connect('carol');
      await store.disconnect('carol');
      expect((await store.leave()).sort()).toEqual(['alice', 'bob']);
      expect(await online('alice', 'bob', 'carol')).toEqual([]);
      expect(await store.leave()).toEqual([]);
    });
  });
}
