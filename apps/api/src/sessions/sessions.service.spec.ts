import { Logger } from '@nestjs/common';
import { ErrorCode } from '@chat/contracts';
import {
  alice,
  memoryServices,
  withAliceAndBob,
  type MemoryServices,
} from '../testing/services';
import {
  TOO_MANY_NEW_SESSIONS,
  UNKNOWN_SESSION,
  type SessionsService,
} from './sessions.service';
import type { MemorySessionStore } from './stores/memory/memory-session.store';

// The handshake's decision, on memory stores: no socket involved.
describe('SessionsService', () => {
  let services: MemoryServices;
  let sessionsService: SessionsService;
  let sessions: MemorySessionStore;

  // Store failures are logged on purpose here; keep the output clean.
  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    services = memoryServices();
    ({ sessionsService, sessions } = services);
    await withAliceAndBob(services);
  });
  describe('authenticate', () => {
    const authenticate = (auth: unknown, address = '203.0.113.7') =>
      sessionsService.authenticate(auth, address);

    it('starts a new session for a valid username, with fresh random ids, and stores nothing', async () => {
      const first = await authenticate({ username: ' carol ' });
      const second = await authenticate({ username: 'carol' });
      if (!first.ok || !second.ok) throw new Error('refused');
      expect(first).toMatchObject({
        resumed: false,
        data: { username: 'carol' },
      });
      expect(first.data.sessionID).not.toBe(second.data.sessionID);
      expect(first.data.userID).not.toBe(second.data.userID);
      expect(first.data.userID).not.toBe(first.data.sessionID);
      expect(Buffer.from(first.data.sessionID, 'base64url')).toHaveLength(32);
      expect((await sessions.findAllSessions()).map((s) => s.userID)).toEqual([
        'alice',
        'bob',
      ]);
    });

    it('resumes a known session, ignoring any username sent along', async () => {
      expect(
        await authenticate({
          sessionID: 'alice-secret',
          username: 'Eve',
        }),
      ).toEqual({
        ok: true,
        resumed: true,
        data: alice,
      });
    });

    it('starts afresh for an unknown sessionID with a valid username', async () => {
      const result = await authenticate({
        sessionID: 'unknown',
        username: 'Dan',
      });
      expect(result).toMatchObject({
        ok: true,
        resumed: false,
        data: { username: 'Dan' },
      });
    });

    it.each([
      ['a string', 'alice'],
      ['a number', 42],
      ['null', null],
      ['an array', [{ username: 'alice' }]],
      ['an empty object', {}],
      ['a bad username', { username: 'x'.repeat(33) }],
    ])('refuses %s with a username reason', async (_label, auth) => {
      const result = await authenticate(auth);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(/^username /);
    });

    it.each([
      ['an unknown sessionID', { sessionID: 'unknown' }],
      ['a malformed sessionID', { sessionID: 'not/a session' }],
    ])(
      'refuses %s alone saying the session is unknown or expired',
      async (_label, auth) => {
        expect(await authenticate(auth)).toEqual({
          ok: false,
          reason: UNKNOWN_SESSION,
        });
      },
    );

    it('starts at most NEW_SESSIONS_PER_MINUTE new sessions per client address; resumes are not counted', async () => {
      const starts = [];
      for (let i = 0; i < 4; i++)
        starts.push(await authenticate({ username: `user${i}` }));
      expect(starts.map((result) => result.ok)).toEqual([
        true,
        true,
        true,
        false,
      ]);
      expect(starts[3]).toEqual({
        ok: false,
        error: ErrorCode.RateLimited,
        reason: TOO_MANY_NEW_SESSIONS,
      });
      expect((await authenticate({ sessionID: 'alice-secret' })).ok).toBe(true);
      expect(
        (await authenticate({ username: 'elsewhere' }, '198.51.100.1')).ok,
      ).toBe(true);
    });

    it('rejects when the store fails, so the handshake can answer "unavailable"', async () => {
      sessions.findSession = () => Promise.reject(new Error('down'));
      await expect(authenticate({ sessionID: 'alice-secret' })).rejects.toThrow(
        'down',
      );
    });
  });

  describe('settings', () => {
    it('reads the defaults, changes what is given, and tells every tab of the user, the changing one too', async () => {
      expect(await sessionsService.settingsOf('alice')).toEqual({
        readReceipts: true,
        typing: true,
      });
      expect(
        await sessionsService.updateSettings('alice', { readReceipts: false }),
      ).toEqual({
        ack: { ok: true, settings: { readReceipts: false, typing: true } },
        deliveries: [
          {
            rooms: ['alice'],
            includeSender: true,
            event: 'settings',
            payload: { readReceipts: false, typing: true },
          },
        ],
      });
      expect(await sessionsService.settingsOf('alice')).toEqual({
        readReceipts: false,
        typing: true,
      });
      // Nothing named: the settings as they are, told to nobody.
      expect(await sessionsService.updateSettings('alice', {})).toEqual({
        ack: { ok: true, settings: { readReceipts: false, typing: true } },
        deliveries: [],
      });
    });

    it.each([
      ['a string', { typing: 'no' }],
      ['null', null],
      ['a number', 3],
    ])(
      'refuses %s as an invalid payload, changing nothing',
      async (_label, payload) => {
        expect(await sessionsService.updateSettings('alice', payload)).toEqual({
          ack: { ok: false, error: ErrorCode.InvalidPayload },
          deliveries: [],
        });
        expect(await sessionsService.settingsOf('alice')).toEqual({
          readReceipts: true,
          typing: true,
        });
      },
    );

    it('shares the bucket of receipts (5 at once here)', async () => {
      const answers = [];
      for (let i = 0; i < 6; i++)
        answers.push(
          (await sessionsService.updateSettings('alice', { typing: true })).ack,
        );
      expect(answers.at(-1)).toEqual({
        ok: false,
        error: ErrorCode.RateLimited,
      });
      expect(answers.slice(0, 5).every((answer) => answer.ok)).toBe(true);
    });

    it('answers unavailable when the store fails', async () => {
      sessions.updateSettings = () => Promise.reject(new Error('down'));
      expect(
        (await sessionsService.updateSettings('alice', { typing: false })).ack,
      ).toEqual({ ok: false, error: ErrorCode.Unavailable });
    });
  });
});
