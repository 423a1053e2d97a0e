import { ManualClock } from '../../testing/manual-clock';
import {
  compareCodePoints,
  directoryKey,
} from '../../directory/directory-order';
import { type SessionStore, type StoredSession } from './session.store';
import { type SessionStoreOptions } from './session-store-options';

const TTL = 60_000;

/**
 * The behaviour every `SessionStore` must have, run against each implementation
 * (the spec beside each, as memory/memory-session.store.spec.ts), like socket.io-redis-adapter's `testSuite(createAdapter)`.
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
      expect(await store.hasUser('nope')).toBe(false);
      expect(await store.findAllSessions()).toEqual([]);
      expect(await store.findExpired(10)).toEqual([]);
      expect(await store.deleteExpired('nope')).toBe(false);
    });

    it('finds a saved session by sessionID and by userID', async () => {
      await store.saveSession(session(1));
      expect(await store.findSession(session(1).sessionID)).toEqual(session(1));
      expect(await store.findSessionByUserID('user-1')).toEqual(session(1));
      expect(await store.hasUser('user-1')).toBe(true);
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

    describe('directory', () => {
      const named = (n: number, username: string) =>
        session(n, { username, userID: `u${String(n).padStart(3, '0')}` });
      const names = (page: { sessions: StoredSession[] }) =>
        page.sessions.map((s) => s.username);

      /** Reads every page of a query and checks each page's bounds. */
      async function readAll(prefix: string | undefined, limit: number) {
        const seen: string[] = [];
        let after: string | undefined;
        for (let pages = 0; pages < 100; pages++) {
          const page = await store.findDirectory({ prefix, after, limit });
          expect(page.sessions.length).toBeLessThanOrEqual(limit);
          seen.push(...names(page));
          if (!page.next) return seen;
          after = page.next;
        }
        throw new Error('more than 100 pages');
      }

      it('lists by name, case-insensitive, then by userID, across pages', async () => {
        const users = ['bob', 'Alice', 'carol', 'alice', 'Ärger', 'Zed', 'al'];
        // Saved in another order than listed, and some saved twice (an upsert keeps one entry).
        for (const [n, username] of users.entries())
          await store.saveSession(named(n, username));
        await store.saveSession({ ...named(1, 'Alice'), connected: false });
        const expected = [
          'al',
          'Alice',
          'alice',
          'bob',
          'carol',
          'Zed',
          'Ärger',
        ];
        expect(names(await store.findDirectory({ limit: 100 }))).toEqual(
          expected,
        );
        for (const limit of [1, 2, 3, 7])
          expect(await readAll(undefined, limit)).toEqual(expected);
        const first = await store.findDirectory({ limit: 3 });
        expect(first.next).toBe(directoryKey(first.sessions[2]));
        expect((await store.findDirectory({ limit: 7 })).next).toBeUndefined();
      });

      it('finds by name prefix, case-insensitive, with paging', async () => {
        for (const [n, username] of [
          'Alice',
          'albert',
          'bob',
          'ALAN',
          'al',
          'a',
          'alz',
          'am',
        ].entries())
          await store.saveSession(named(n, username));
        expect(
          names(await store.findDirectory({ prefix: 'al', limit: 100 })),
        ).toEqual(['al', 'ALAN', 'albert', 'Alice', 'alz']);
        expect(await readAll('al', 2)).toEqual([
          'al',
          'ALAN',
          'albert',
          'Alice',
          'alz',
        ]);
        expect(await store.findDirectory({ prefix: 'alx', limit: 10 })).toEqual(
          { sessions: [] },
        );
        // A cursor before the prefix starts at the prefix; one past it ends the search.
        expect(
          names(
            await store.findDirectory({ prefix: 'b', after: 'a', limit: 10 }),
          ),
        ).toEqual(['bob']);
        expect(
          names(
            await store.findDirectory({ prefix: 'a', after: 'b', limit: 10 }),
          ),
        ).toEqual([]);
      });

      it('orders by code point, also above U+FFFF', async () => {
        const users = ['\u{1F600}x', '\uFF21', 'z', '\u00E9'];
        for (const [n, username] of users.entries())
          await store.saveSession(named(n, username));
        const expected = [...users]
          .map((u) => u.toLowerCase())
          .sort(compareCodePoints);
        expect(
          names(await store.findDirectory({ limit: 10 })).map((u) =>
            u.toLowerCase(),
          ),
        ).toEqual(expected);
        expect(expected.at(-1)).toBe('\u{1F600}x');
      });

      it('accepts any cursor a client may send back', async () => {
        await store.saveSession(named(1, 'bob'));
        for (const after of [
          '',
          'zzz',
          '\u0000',
          'b\u0000',
          '(',
          '[x',
          '-',
          '+',
        ])
          await expect(
            store.findDirectory({ after, limit: 10 }),
          ).resolves.toBeDefined();
        expect(
          names(await store.findDirectory({ after: 'a', limit: 10 })),
        ).toEqual(['bob']);
      });

      it('leaves out expired sessions and forgets deleted ones', async () => {
        await store.saveSession(named(1, 'ann'));
        await store.saveSession({ ...named(2, 'bea'), connected: false });
        await store.saveSession(named(3, 'cy'));
        clock.advance(TTL);
        expect(names(await store.findDirectory({ limit: 10 }))).toEqual([
          'ann',
          'cy',
        ]);
        expect(await store.deleteExpired(named(2, 'bea').sessionID)).toBe(true);
        expect(names(await store.findDirectory({ limit: 10 }))).toEqual([
          'ann',
          'cy',
        ]);
        expect(await readAll(undefined, 1)).toEqual(['ann', 'cy']);
      });
    });

    describe('settings', () => {
      const DEFAULTS = { readReceipts: true, typing: true };

      it('gives the defaults to a user who never changed them, and leaves out unknown users', async () => {
        await store.saveSession(session(1));
        await store.saveSession(session(2, { connected: false }));
        expect(
          await store.findSettings(['user-1', 'user-2', 'nobody']),
        ).toEqual(
          new Map([
            ['user-1', DEFAULTS],
            ['user-2', DEFAULTS],
          ]),
        );
        expect(await store.findSettings([])).toEqual(new Map());
      });

      it('changes only the settings given, and keeps them when the session is saved again', async () => {
        await store.saveSession(session(1));
        await store.saveSession(session(2));
        expect(
          await store.updateSettings('user-1', { readReceipts: false }),
        ).toEqual({ readReceipts: false, typing: true });
        expect(await store.updateSettings('user-1', { typing: false })).toEqual(
          { readReceipts: false, typing: false },
        );
        expect(await store.updateSettings('user-1', {})).toEqual({
          readReceipts: false,
          typing: false,
        });
        // Disconnected and connected again, as presence saves it: the settings stay.
        await store.saveSession(session(1, { connected: false }));
        await store.saveSession(session(1));
        expect(await store.findSettings(['user-1', 'user-2'])).toEqual(
          new Map([
            ['user-1', { readReceipts: false, typing: false }],
            ['user-2', DEFAULTS],
          ]),
        );
        expect(
          await store.updateSettings('user-1', {
            readReceipts: true,
            typing: true,
          }),
        ).toEqual(DEFAULTS);
        // The session itself is as it was saved.
        expect(await store.findSession(session(1).sessionID)).toEqual(
          session(1),
        );
      });

      it('keeps the settings of many users apart under concurrent changes', async () => {
        const users = Array.from({ length: 20 }, (_, n) => session(n));
        await Promise.all(users.map((s) => store.saveSession(s)));
        await Promise.all(
          users.map((s, n) =>
            store.updateSettings(s.userID, { typing: n % 2 === 0 }),
          ),
        );
        const found = await store.findSettings(users.map((s) => s.userID));
        expect(users.map((s) => found.get(s.userID)?.typing)).toEqual(
          users.map((_, n) => n % 2 === 0),
        );
      });

      it('changes nothing for an unknown or expired user, and forgets settings with their session', async () => {
        expect(
          await store.updateSettings('nobody', { typing: false }),
        ).toBeUndefined();
        expect(await store.findSessionByUserID('nobody')).toBeUndefined();
        await store.saveSession(session(1, { connected: false }));
        await store.updateSettings('user-1', { readReceipts: false });
        clock.advance(TTL);
        expect(await store.findSettings(['user-1'])).toEqual(new Map());
        expect(
          await store.updateSettings('user-1', { typing: false }),
        ).toBeUndefined();
        expect(await store.deleteExpired(session(1).sessionID)).toBe(true);
        // A session saved later for the same user starts from the defaults.
        await store.saveSession(session(1));
        expect(await store.findSettings(['user-1'])).toEqual(
          new Map([['user-1', DEFAULTS]]),
        );
      });
    });

    describe('expiry', () => {
      it('hides a session not connected for the TTL from every find, from that very millisecond', async () => {
        const gone = session(1, { connected: false });
        await store.saveSession(gone);
        await store.saveSession(session(2, { connected: false }));
        clock.advance(TTL - 1);
        expect(await store.findSession(gone.sessionID)).toEqual(gone);
        expect(await store.hasUser('user-1')).toBe(true);
        expect(await store.findAllSessions()).toHaveLength(2);
        clock.advance(1);
        expect(await store.findSession(gone.sessionID)).toBeUndefined();
        expect(await store.findSessionByUserID('user-1')).toBeUndefined();
        expect(await store.hasUser('user-1')).toBe(false);
        expect(await store.findAllSessions()).toEqual([]);
      });

      it('answers hasUser from the latest save, also after it was asked', async () => {
        await store.saveSession(session(1));
        expect(await store.hasUser('user-1')).toBe(true);
        // Disconnected now: it expires TTL later, not never.
        await store.saveSession(session(1, { connected: false }));
        clock.advance(TTL - 1);
        expect(await store.hasUser('user-1')).toBe(true);
        clock.advance(1);
        expect(await store.hasUser('user-1')).toBe(false);
        // Pruned, then a session with another id for the same user: found again.
        expect(await store.deleteExpired(session(1).sessionID)).toBe(true);
        expect(await store.hasUser('user-1')).toBe(false);
        await store.saveSession(session(2, { userID: 'user-1' }));
        expect(await store.hasUser('user-1')).toBe(true);
      });

      it('never expires a connected session', async () => {
        await store.saveSession(session(1));
        clock.advance(100 * TTL);
        expect(await store.findSession(session(1).sessionID)).toBeDefined();
        expect(await store.hasUser('user-1')).toBe(true);
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
        expect(await store.hasUser('user-1')).toBe(true);
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
        expect(await store.hasUser('user-1')).toBe(false);
      });
    });
  });
}
