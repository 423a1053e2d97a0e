import type { SessionStore, StoredSession } from './session.store';

/**
 * The behaviour every `SessionStore` must have, run against each implementation
 * (see memory/memory-stores.spec.ts), like socket.io-redis-adapter's `testSuite(createAdapter)`.
 * `createStore` must return an empty store; `destroyStore` releases it (connections, files).
 */
export function sessionStoreContract(
  name: string,
  createStore: () => Promise<SessionStore> | SessionStore,
  destroyStore: (store: SessionStore) => Promise<void> | void = () => undefined,
): void {
  describe(`SessionStore contract: ${name}`, () => {
    let store: SessionStore;

    beforeEach(async () => {
      store = await createStore();
    });

    afterEach(async () => {
      await destroyStore(store);
    });

    const session = (
      n: number,
      overrides: Partial<StoredSession> = {},
    ): StoredSession => ({
      sessionID: `session-${n}-${'s'.repeat(32)}`,
      userID: `user-${n}`,
      username: `user ${n}`,
      connected: true,
      ...overrides,
    });

    it('finds nothing for an unknown sessionID or userID', async () => {
      expect(await store.findSession('nope')).toBeUndefined();
      expect(await store.findSessionByUserID('nope')).toBeUndefined();
      expect(await store.findAllSessions()).toEqual([]);
    });

    it('finds a saved session by sessionID and by userID', async () => {
      await store.saveSession(session(1));
      expect(await store.findSession(session(1).sessionID)).toEqual(session(1));
      expect(await store.findSessionByUserID('user-1')).toEqual(session(1));
    });

    it('keeps usernames exactly (unicode, spaces inside)', async () => {
      const zoe = session(1, { username: 'Zoë 🚀 von Straße' });
      await store.saveSession(zoe);
      expect(await store.findSession(zoe.sessionID)).toEqual(zoe);
    });

    it('replaces a session saved again with the same sessionID, without duplicating it', async () => {
      await store.saveSession(session(1));
      await store.saveSession(session(1, { connected: false }));
      expect(await store.findSession(session(1).sessionID)).toEqual(
        session(1, { connected: false }),
      );
      expect(await store.findSessionByUserID('user-1')).toEqual(
        session(1, { connected: false }),
      );
      expect(await store.findAllSessions()).toEqual([
        session(1, { connected: false }),
      ]);
    });

    it('lists every session in the order first saved, also after updates', async () => {
      await store.saveSession(session(1));
      await store.saveSession(session(2));
      await store.saveSession(session(3, { connected: false }));
      await store.saveSession(session(1, { connected: false }));
      expect(await store.findAllSessions()).toEqual([
        session(1, { connected: false }),
        session(2),
        session(3, { connected: false }),
      ]);
    });

    it('returns copies: mutating a result does not change the store', async () => {
      await store.saveSession(session(1));
      const found = await store.findSession(session(1).sessionID);
      if (!found) throw new Error('session not found');
      found.connected = false;
      found.username = 'mallory';
      const all = await store.findAllSessions();
      all[0].userID = 'someone-else';
      expect(await store.findSession(session(1).sessionID)).toEqual(session(1));
    });

    it('does not keep a reference to the saved object', async () => {
      const saved = session(1);
      await store.saveSession(saved);
      saved.connected = false;
      expect(await store.findSession(session(1).sessionID)).toEqual(session(1));
    });

    it('handles concurrent saves of many sessions', async () => {
      const sessions = Array.from({ length: 50 }, (_, n) => session(n));
      await Promise.all(sessions.map((s) => store.saveSession(s)));
      const all = await store.findAllSessions();
      expect(all).toHaveLength(50);
      expect(new Set(all.map((s) => s.userID)).size).toBe(50);
      for (const s of sessions)
        expect(await store.findSessionByUserID(s.userID)).toEqual(s);
    });
  });
}
