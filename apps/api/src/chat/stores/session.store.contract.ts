import { ManualClock } from '../../testing/manual-clock';
import type {
  SessionStore,
  SessionStoreOptions,
  StoredSession,
} from './session.store';

const TTL = 60_000;

/**
 * The behaviour every `SessionStore` must have, run against each implementation
 * (see memory/memory-stores.spec.ts), like socket.io-redis-adapter's `testSuite(createAdapter)`.
 * `createStore` must return an empty store built with `options`; `destroyStore` releases it
 * (connections, files).
 */
export function sessionStoreContract(
  name: string,
  createStore: (
    options: SessionStoreOptions,
  ) => Promise<SessionStore> | SessionStore,
  destroyStore: (store: SessionStore) => Promise<void> | void = () => undefined,
): void {
  describe(`SessionStore contract: ${name}`, () => {
    let store: SessionStore;
    let clock: ManualClock;

    beforeEach(async () => {
      clock = new ManualClock();
      store = await createStore({ ttlMs: TTL, clock });
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
      lastSeen: clock.now(),
      ...overrides,
    });

    it('finds nothing for an unknown sessionID or userID', async () => {
      expect(await store.findSession('nope')).toBeUndefined();
      expect(await store.findSessionByUserID('nope')).toBeUndefined();
      expect(await store.findAllSessions()).toEqual([]);
      expect(await store.findExpired(10)).toEqual([]);
      expect(await store.deleteExpired('nope')).toBe(false);
    });

    it('finds a saved session by sessionID and by userID', async () => {
      await store.saveSession(session(1));
      expect(await store.findSession(session(1).sessionID)).toEqual(session(1));
      expect(await store.findSessionByUserID('user-1')).toEqual(session(1));
    });

    it('keeps usernames exactly (unicode, spaces inside) and lastSeen to the millisecond', async () => {
      const zoe = session(1, {
        username: 'Zoë 🚀 von Straße',
        lastSeen: clock.now() - 123,
        connected: false,
      });
      await store.saveSession(zoe);
      expect(await store.findSession(zoe.sessionID)).toEqual(zoe);
    });

    it('replaces a session saved again with the same sessionID, without duplicating it', async () => {
      await store.saveSession(session(1));
      clock.advance(5);
      await store.saveSession(
        session(1, { connected: false, lastSeen: clock.now() }),
      );
      const updated = session(1, { connected: false });
      expect(await store.findSession(session(1).sessionID)).toEqual(updated);
      expect(await store.findSessionByUserID('user-1')).toEqual(updated);
      expect(await store.findAllSessions()).toEqual([updated]);
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

    describe('expiry', () => {
      it('hides a session not connected for the TTL from every find, from that very millisecond', async () => {
        const gone = session(1, { connected: false });
        await store.saveSession(gone);
        await store.saveSession(session(2, { connected: false }));
        clock.advance(TTL - 1);
        expect(await store.findSession(gone.sessionID)).toEqual(gone);
        expect(await store.findAllSessions()).toHaveLength(2);
        clock.advance(1);
        expect(await store.findSession(gone.sessionID)).toBeUndefined();
        expect(await store.findSessionByUserID('user-1')).toBeUndefined();
        expect(await store.findAllSessions()).toEqual([]);
      });

      it('never expires a connected session', async () => {
        await store.saveSession(session(1));
        clock.advance(100 * TTL);
        expect(await store.findSession(session(1).sessionID)).toBeDefined();
        expect(await store.findExpired(10)).toEqual([]);
        expect(await store.deleteExpired(session(1).sessionID)).toBe(false);
      });

      it('measures inactivity from lastSeen: a session seen again lives on', async () => {
        const s = session(1, { connected: false });
        await store.saveSession(s);
        clock.advance(TTL - 10);
        await store.saveSession({ ...s, lastSeen: clock.now() });
        clock.advance(TTL - 10);
        expect(await store.findSession(s.sessionID)).toEqual({
          ...s,
          lastSeen: clock.now() - (TTL - 10),
        });
        // An expired session saved again (seen now) is back as well.
        clock.advance(TTL);
        expect(await store.findSession(s.sessionID)).toBeUndefined();
        await store.saveSession({ ...s, lastSeen: clock.now() });
        expect(await store.findSessionByUserID('user-1')).toBeDefined();
      });

      it('lists expired sessions only, least recently seen first, at most limit', async () => {
        await store.saveSession(session(1, { connected: false }));
        clock.advance(10);
        await store.saveSession(session(2, { connected: false }));
        await store.saveSession(session(3));
        clock.advance(10);
        await store.saveSession(session(4, { connected: false }));
        const start = clock.now() - 20;
        clock.advance(TTL - 5);
        expect(await store.findExpired(10)).toEqual([
          session(1, { connected: false, lastSeen: start }),
          session(2, { connected: false, lastSeen: start + 10 }),
        ]);
        clock.advance(5);
        expect((await store.findExpired(10)).map((s) => s.userID)).toEqual([
          'user-1',
          'user-2',
          'user-4',
        ]);
        expect((await store.findExpired(2)).map((s) => s.userID)).toEqual([
          'user-1',
          'user-2',
        ]);
      });

      it('deletes an expired session, and only while it is expired', async () => {
        await store.saveSession(session(1, { connected: false }));
        await store.saveSession(session(2, { connected: false }));
        expect(await store.deleteExpired(session(1).sessionID)).toBe(false);
        clock.advance(TTL);
        // Seen again just before the pruner got to it: kept.
        await store.saveSession(session(2, { connected: true }));
        expect(await store.deleteExpired(session(2).sessionID)).toBe(false);
        expect(await store.deleteExpired(session(1).sessionID)).toBe(true);
        expect(await store.deleteExpired(session(1).sessionID)).toBe(false);
        expect(await store.findExpired(10)).toEqual([]);
        expect((await store.findAllSessions()).map((s) => s.userID)).toEqual([
          'user-2',
        ]);
        // Deleted for good: not even a session saved later with the same user sees it.
        clock.advance(1);
        expect(await store.findSessionByUserID('user-1')).toBeUndefined();
      });
    });
  });
}
