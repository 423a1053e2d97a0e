import { ErrorCode, INVALID_USERNAME, type UserView } from '@chat/contracts';
import { UNKNOWN_SESSION } from '../sessions/sessions.service';
import {
  ClientPool,
  startServer,
  type TestServer,
} from '../testing/chat-test-kit';
import {
  FlakySessionStore,
  GatedSessionStore,
  testStores,
} from '../testing/test-stores';

// Handshake, the on-connection sequence and presence, against the real app on a free port.
describe('ChatGateway: sessions and presence', () => {
  let server: TestServer;
  const pool = new ClientPool(() => server.url);

  beforeEach(async () => {
    server = await startServer();
  });

  afterEach(async () => {
    pool.closeAll();
    await server.app.close();
  });

  const find = (users: UserView[], userID: string) =>
    users.find((u) => u.userID === userID);

  describe('handshake', () => {
    it('creates a new session for a valid username: 256-bit sessionID, distinct userID, trimmed name', async () => {
      const { session, users } = await pool.connect({ username: '  alice ' });
      expect(session.username).toBe('alice');
      expect(session.sessionID).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(
        Buffer.from(session.sessionID, 'base64url').length,
      ).toBeGreaterThanOrEqual(16);
      expect(session.userID).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(session.userID).not.toBe(session.sessionID);
      expect(session.sessionID).not.toContain(session.userID);
      expect(users).toEqual([
        {
          userID: session.userID,
          username: 'alice',
          connected: true,
          messages: [],
        },
      ]);
    });

    it('gives two users of the same name different sessions and userIDs', async () => {
      const first = await pool.connect({ username: 'sam' });
      const second = await pool.connect({ username: 'sam' });
      expect(second.session.sessionID).not.toBe(first.session.sessionID);
      expect(second.session.userID).not.toBe(first.session.userID);
    });

    it('resumes a known sessionID: same sessionID, userID and username, whatever username is sent', async () => {
      const alice = await pool.connect({ username: 'alice' });
      alice.client.close();
      const again = await pool.connect({ sessionID: alice.session.sessionID });
      expect(again.session).toEqual(alice.session);
      const renamed = await pool.connect({
        sessionID: alice.session.sessionID,
        username: 'eve',
      });
      expect(renamed.session).toEqual(alice.session);
      expect(renamed.users.filter((u) => u.username === 'eve')).toEqual([]);
    });

    it('starts a new session for an unknown sessionID sent with a valid username', async () => {
      const unknown = 'A'.repeat(43);
      const { session } = await pool.connect({
        sessionID: unknown,
        username: 'bob',
      });
      expect(session.sessionID).not.toBe(unknown);
      expect(session.username).toBe('bob');
    });

    it('starts a new session when the sessionID is malformed but the username valid', async () => {
      const { session } = await pool.connect({
        sessionID: { $ne: '' },
        username: 'bob',
      });
      expect(session.username).toBe('bob');
    });

    it.each([
      ['no auth fields', {}],
      ['an empty username', { username: '' }],
      ['a blank username', { username: '   ' }],
      ['a username too long', { username: 'a'.repeat(33) }],
      ['a huge username', { username: 'a'.repeat(30_000) }],
      ['control characters', { username: 'al\u0000ice' }],
      ['a newline', { username: 'al\nice' }],
      ['a numeric username', { username: 42 }],
      ['an object username', { username: { first: 'al' } }],
      ['an array username', { username: ['alice'] }],
      ['a null username', { username: null }],
      ['a non-object auth (number)', 42],
      ['a non-object auth (null)', null],
    ])(
      'refuses %s with "invalid username" and a reason, storing nothing',
      async (_label, auth) => {
        const error = await pool.refused(auth);
        expect(error.message).toBe(INVALID_USERNAME);
        expect(error.data?.reason).toMatch(/^username /);
        // Nothing stored: the next user is alone in the list.
        const witness = await pool.connect({ username: 'witness' });
        expect(witness.users.map((u) => u.username)).toEqual(['witness']);
      },
    );

    it.each([
      ['an unknown sessionID', { sessionID: 'B'.repeat(43) }],
      ['a malformed sessionID', { sessionID: 'has spaces and / slashes' }],
      ['a numeric sessionID', { sessionID: 12345 }],
    ])(
      'refuses %s alone with "invalid username", saying the session is unknown or expired',
      async (_label, auth) => {
        const error = await pool.refused(auth);
        expect(error.message).toBe(INVALID_USERNAME);
        expect(error.data?.reason).toBe(UNKNOWN_SESSION);
      },
    );

    it('closes a string or array auth at the protocol level (socket.io parser), storing nothing', async () => {
      // socket.io-parser rejects a CONNECT whose data is not an object before any middleware runs,
      // so no connect_error can be sent: the transport is closed and no session ever exists.
      for (const auth of ['alice', ['alice']]) {
        const client = pool.open(auth);
        expect(await client.disconnected()).toBe('transport close');
      }
      const witness = await pool.connect({ username: 'witness' });
      expect(witness.users.map((u) => u.username)).toEqual(['witness']);
    });
  });

  describe('on connection', () => {
    it('sends session, then users, to the new socket first', async () => {
      const alice = await pool.connect({ username: 'alice' });
      expect(alice.client.eventNames.slice(0, 2)).toEqual(['session', 'users']);
    });

    it('lists every known user, self included, with their presence', async () => {
      const alice = await pool.connect({ username: 'alice' });
      const bob = await pool.connect({ username: 'bob' });
      bob.client.close();
      await alice.client.waitFor(
        'user disconnected',
        (id) => id === bob.session.userID,
      );
      const carol = await pool.connect({ username: 'carol' });
      expect(carol.users).toEqual([
        {
          userID: alice.session.userID,
          username: 'alice',
          connected: true,
          messages: [],
        },
        {
          userID: bob.session.userID,
          username: 'bob',
          connected: false,
          messages: [],
          lastSeen: expect.any(String),
        },
        {
          userID: carol.session.userID,
          username: 'carol',
          connected: true,
          messages: [],
        },
      ]);
    });

    it('announces "user connected" to everyone else, never to the connecting socket', async () => {
      const alice = await pool.connect({ username: 'alice' });
      const bob = await pool.connect({ username: 'bob' });
      expect(
        await alice.client.waitFor(
          'user connected',
          (u) => u.userID === bob.session.userID,
        ),
      ).toEqual({
        userID: bob.session.userID,
        username: 'bob',
        connected: true,
        messages: [],
      });
      // Positive control: bob does hear about carol, so he would have heard about himself by now.
      const carol = await pool.connect({ username: 'carol' });
      await bob.client.waitFor(
        'user connected',
        (u) => u.userID === carol.session.userID,
      );
      expect(bob.client.all('user connected').map((u) => u.userID)).toEqual([
        carol.session.userID,
      ]);
      expect(carol.client.all('user connected')).toEqual([]);
    });
  });

  describe('presence across tabs', () => {
    it('announces "user disconnected" only when the last tab closes, then lists the user offline', async () => {
      const alice1 = await pool.connect({ username: 'alice' });
      const alice2 = await pool.connect({
        sessionID: alice1.session.sessionID,
      });
      const bob = await pool.connect({ username: 'bob' });
      const aliceID = alice1.session.userID;

      alice1.client.close();
      await server.logger.waitFor(
        'debug',
        new RegExp(`of user ${aliceID} disconnected`),
      );
      // Still online: a newcomer sees alice connected.
      const carol = await pool.connect({ username: 'carol' });
      expect(find(carol.users, aliceID)?.connected).toBe(true);

      alice2.client.close();
      expect(await bob.client.waitFor('user disconnected')).toBe(aliceID);
      // The first close announced nothing: exactly one, and only after the last tab.
      expect(bob.client.all('user disconnected')).toEqual([aliceID]);

      const dave = await pool.connect({ username: 'dave' });
      expect(find(dave.users, aliceID)).toEqual({
        userID: aliceID,
        username: 'alice',
        connected: false,
        messages: [],
        lastSeen: expect.any(String),
      });

      // And back online on reconnect.
      await pool.connect({ sessionID: alice1.session.sessionID });
      await bob.client.waitFor(
        'user connected',
        (u) => u.userID === aliceID && u.connected,
      );
      const erin = await pool.connect({ username: 'erin' });
      expect(find(erin.users, aliceID)?.connected).toBe(true);
    });
  });
});

describe('ChatGateway: presence when tabs connect and disconnect at once', () => {
  let server: TestServer;
  const pool = new ClientPool(() => server.url);
  let sessions: GatedSessionStore;

  beforeEach(async () => {
    sessions = new GatedSessionStore();
    server = await startServer({}, { stores: testStores(sessions) });
  });

  afterEach(async () => {
    sessions.saves.open();
    pool.closeAll();
    await server.app.close();
  });

  it('never shows a user offline while a tab that was connecting is open', async () => {
    const alice1 = await pool.connect({ username: 'alice' });
    const bob = await pool.connect({ username: 'bob' });
    const aliceID = alice1.session.userID;

    // alice's second tab is held in "store the session as connected", before joining her room...
    sessions.saves.close();
    const alice2 = pool.open({ sessionID: alice1.session.sessionID });
    await alice2.connected();
    // ...while her first tab closes: the server sees that close before tab 2 is in the room.
    alice1.client.close();
    await server.logger.waitFor(
      'debug',
      new RegExp(`of user ${aliceID} disconnected`),
    );
    sessions.saves.open();
    await alice2.waitFor('users');

    // Positive control first: bob hears carol, then we check he never heard alice leave.
    const carol = await pool.connect({ username: 'carol' });
    await bob.client.waitFor(
      'user connected',
      (u) => u.userID === carol.session.userID,
    );
    expect(bob.client.all('user disconnected')).toEqual([]);
    expect(find(carol.users, aliceID)?.connected).toBe(true);

    alice2.close();
    expect(await bob.client.waitFor('user disconnected')).toBe(aliceID);
  });

  const find = (users: UserView[], userID: string) =>
    users.find((u) => u.userID === userID);
});

describe('ChatGateway: session store failures', () => {
  let server: TestServer;
  const pool = new ClientPool(() => server.url);
  let sessions: FlakySessionStore;

  beforeEach(async () => {
    sessions = new FlakySessionStore();
    server = await startServer({}, { stores: testStores(sessions) });
  });

  afterEach(async () => {
    pool.closeAll();
    await server.app.close();
  });

  it('refuses a resume with "unavailable" (not "invalid username") while the store is down', async () => {
    const alice = await pool.connect({ username: 'alice' });
    sessions.failReads = true;
    const error = await pool.refused({ sessionID: alice.session.sessionID });
    expect(error.message).toBe(ErrorCode.Unavailable);
    expect(
      server.logger.has('error', /handshake failed: Error: session store down/),
    ).toBe(true);
    sessions.failReads = false;
    expect(
      (await pool.connect({ sessionID: alice.session.sessionID })).session,
    ).toEqual(alice.session);
  });

  it('drops a socket whose session cannot be stored, sends it nothing, and keeps serving', async () => {
    const alice = await pool.connect({ username: 'alice' });
    sessions.failSaves = true;
    const bob = pool.open({ username: 'bob' });
    expect(await bob.disconnected()).toBe('io server disconnect');
    expect(bob.eventNames).toEqual([]);
    sessions.failSaves = false;
    const carol = await pool.connect({ username: 'carol' });
    expect(carol.users.map((u) => u.username)).toEqual(['alice', 'carol']);
    await alice.client.waitFor('user connected', (u) => u.username === 'carol');
    expect(alice.client.all('user connected').map((u) => u.username)).toEqual([
      'carol',
    ]);
  });
});
