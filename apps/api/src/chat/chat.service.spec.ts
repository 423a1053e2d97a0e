import { Logger } from '@nestjs/common';
import { ErrorCode, type Message, type SocketData } from '@chat/contracts';
import { ManualClock } from '../testing/manual-clock';
import {
  ChatOptions,
  ChatService,
  TOO_MANY_NEW_SESSIONS,
  UNKNOWN_SESSION,
} from './chat.service';
import type { ChatSocket } from './chat.types';
import { IdGenerator } from './ids';
import { MemoryRateLimiter, RateLimits } from './rate-limiter';
import { MemoryMessageStore } from './stores/memory/memory-message.store';
import { MemoryPresenceStore } from './stores/memory/memory-presence.store';
import { MemorySessionStore } from './stores/memory/memory-session.store';

/** Records what the service routes; the real socket.io routing is covered by the gateway specs. */
function fakeSocket(data: SocketData) {
  const emitted: { rooms: string[]; event: string; payload: unknown }[] = [];
  const socket = {
    data,
    to: (rooms: string | string[]) => ({
      emit: (event: string, payload: unknown) => {
        emitted.push({ rooms: [rooms].flat(), event, payload });
        return true;
      },
    }),
  };
  return { socket: socket as unknown as ChatSocket, emitted };
}

describe('ChatService', () => {
  let sessions: MemorySessionStore;
  let messages: MemoryMessageStore;
  let presence: MemoryPresenceStore;
  let service: ChatService;
  let clock: ManualClock;
  const alice: SocketData = {
    sessionID: 'alice-secret',
    userID: 'alice',
    username: 'Alice',
    directory: 'guide',
  };
  const bob: SocketData = {
    sessionID: 'bob-secret',
    userID: 'bob',
    username: 'Bob',
    directory: 'guide',
  };

  // Store failures are logged on purpose here; keep the output clean.
  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    clock = new ManualClock();
    sessions = new MemorySessionStore({ clock });
    messages = new MemoryMessageStore();
    presence = new MemoryPresenceStore();
    service = new ChatService(
      sessions,
      messages,
      new IdGenerator(() => clock.now()),
      new RateLimits(
        new MemoryRateLimiter({ perSecond: 1, burst: 5 }),
        new MemoryRateLimiter({ perSecond: 0.001, burst: 3 }),
      ),
      clock,
      new ChatOptions({ historyLimit: 3 }),
      presence,
    );
    await presence.connect('alice');
    await sessions.saveSession({
      ...alice,
      connected: true,
      lastSeen: clock.now(),
    });
    await sessions.saveSession({
      ...bob,
      connected: false,
      lastSeen: clock.now(),
    });
  });

  describe('authenticate', () => {
    const authenticate = (auth: unknown, address = '203.0.113.7') =>
      service.authenticate(auth, address);

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

  describe('sendPrivateMessage', () => {
    it('stores first, then routes to the recipient and the sender rooms, and acks the message', async () => {
      const { socket, emitted } = fakeSocket(alice);
      const saved: { message: Message; emittedSoFar: number }[] = [];
      const save = messages.saveMessage.bind(messages);
      messages.saveMessage = async (message) => {
        saved.push({ message, emittedSoFar: emitted.length });
        return save(message);
      };
      const ack = await service.sendPrivateMessage(socket, {
        content: 'hi',
        to: 'bob',
        from: 'mallory',
      });
      if (!ack.ok) throw new Error(ack.error);
      expect(ack.message).toMatchObject({
        content: 'hi',
        from: 'alice',
        to: 'bob',
        at: new Date(clock.now()).toISOString(),
      });
      expect(saved).toEqual([{ message: ack.message, emittedSoFar: 0 }]);
      expect(emitted).toEqual([
        {
          rooms: ['bob', 'alice'],
          event: 'private message',
          payload: ack.message,
        },
      ]);
      expect(await messages.findRecentConversations('bob', 10)).toEqual([
        { peerID: 'alice', messages: [ack.message], hasMore: false },
      ]);
    });

    it('passes the clientMessageId to the store on the message; a repeat is acked with the stored message and emitted to nobody', async () => {
      const { socket, emitted } = fakeSocket(alice);
      const keys: (string | undefined)[] = [];
      const save = messages.saveMessage.bind(messages);
      messages.saveMessage = (message) => {
        keys.push(message.clientMessageId);
        // Absent, not undefined, without one: the guide's payload, byte for byte.
        if (message.clientMessageId === undefined)
          expect('clientMessageId' in message).toBe(false);
        return save(message);
      };
      const payload = { content: 'hi', to: 'bob', clientMessageId: 'c-1' };
      const first = await service.sendPrivateMessage(socket, payload);
      if (!first.ok) throw new Error(first.error);
      clock.advance(1000);
      expect(
        await service.sendPrivateMessage(socket, {
          ...payload,
          content: 'edited',
        }),
      ).toEqual(first);
      expect(first.message.clientMessageId).toBe('c-1');
      await service.sendPrivateMessage(socket, { content: 'hi', to: 'bob' });
      expect(keys).toEqual(['c-1', 'c-1', undefined]);
      expect(emitted.map((e) => e.payload)).toEqual([
        first.message,
        expect.objectContaining({ content: 'hi' }),
      ]);
      expect(
        (await messages.findRecentConversations('bob', 10))[0].messages,
      ).toHaveLength(2);
    });

    it('gives increasing ids', async () => {
      const { socket } = fakeSocket(alice);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const ack = await service.sendPrivateMessage(socket, {
          content: `m${i}`,
          to: 'bob',
        });
        if (ack.ok) ids.push(ack.message.id);
      }
      expect(ids).toHaveLength(5);
      expect([...ids].sort()).toEqual(ids);
    });

    it.each([
      ['invalid payload', { to: 'bob' }, ErrorCode.InvalidPayload],
      [
        'too large',
        { content: 'x'.repeat(4001), to: 'bob' },
        ErrorCode.TooLarge,
      ],
      [
        'unknown recipient',
        { content: 'hi', to: 'nobody' },
        ErrorCode.UnknownRecipient,
      ],
    ])(
      'answers %s and neither stores nor emits',
      async (_label, payload, error) => {
        const { socket, emitted } = fakeSocket(alice);
        expect(await service.sendPrivateMessage(socket, payload)).toEqual({
          ok: false,
          error,
        });
        expect(emitted).toEqual([]);
        expect(await messages.findRecentConversations('alice', 10)).toEqual([]);
      },
    );

    it('answers "unavailable" and emits nothing when the store fails', async () => {
      const { socket, emitted } = fakeSocket(alice);
      messages.saveMessage = () => Promise.reject(new Error('disk full'));
      expect(
        await service.sendPrivateMessage(socket, { content: 'hi', to: 'bob' }),
      ).toEqual({
        ok: false,
        error: ErrorCode.Unavailable,
      });
      expect(emitted).toEqual([]);
    });

    it('rate limits per sender, counting invalid attempts too', async () => {
      const { socket } = fakeSocket(alice);
      for (let i = 0; i < 4; i++)
        await service.sendPrivateMessage(socket, null);
      expect(
        (await service.sendPrivateMessage(socket, { content: 'hi', to: 'bob' }))
          .ok,
      ).toBe(true);
      expect(
        await service.sendPrivateMessage(socket, { content: 'hi', to: 'bob' }),
      ).toEqual({
        ok: false,
        error: ErrorCode.RateLimited,
      });
      const other = fakeSocket(bob).socket;
      expect(
        (
          await service.sendPrivateMessage(other, {
            content: 'hi',
            to: 'alice',
          })
        ).ok,
      ).toBe(true);
    });
  });

  describe('usersFor', () => {
    it('shows presence as the presence store has it, not as last stored in the session', async () => {
      // Bob's session says offline, alice's online: the store of live sockets decides.
      await presence.connect('bob');
      await presence.disconnect('alice');
      const users = await service.usersFor('alice');
      expect(users.map((u) => [u.userID, u.connected])).toEqual([
        ['alice', false],
        ['bob', true],
      ]);
    });

    it('lists every user with presence and that conversation, both directions, oldest first', async () => {
      await sessions.saveSession({
        sessionID: 'c',
        userID: 'carol',
        username: 'Carol',
        connected: true,
        lastSeen: clock.now(),
      });
      await presence.connect('carol');
      const say = (from: string, to: string, content: string) =>
        service.sendPrivateMessage(
          fakeSocket({ ...alice, userID: from }).socket,
          { content, to },
        );
      await say('alice', 'bob', 'a1');
      await say('bob', 'alice', 'b1');
      await say('carol', 'bob', 'c1');
      await say('alice', 'alice', 'self');
      await say('alice', 'bob', 'a2');
      const users = await service.usersFor('alice');
      expect(
        users.map((u) => [
          u.userID,
          u.username,
          u.connected,
          u.messages.map((m) => m.content),
        ]),
      ).toEqual([
        ['alice', 'Alice', true, ['self']],
        ['bob', 'Bob', false, ['a1', 'b1', 'a2']],
        ['carol', 'Carol', true, []],
      ]);
      expect(users.some((u) => 'hasMoreMessages' in u)).toBe(false);
    });

    it('keeps the last historyLimit messages of each conversation and says when there are more', async () => {
      const { socket } = fakeSocket(alice);
      for (let i = 0; i < 5; i++)
        await service.sendPrivateMessage(socket, {
          content: `m${i}`,
          to: 'bob',
        });
      const users = await service.usersFor('bob');
      expect(users.find((u) => u.userID === 'alice')).toEqual({
        userID: 'alice',
        username: 'Alice',
        connected: true,
        messages: expect.any(Array),
        hasMoreMessages: true,
      });
      expect(
        users.find((u) => u.userID === 'alice')?.messages.map((m) => m.content),
      ).toEqual(['m2', 'm3', 'm4']);
    });

    it('leaves out the conversations of users whose session expired', async () => {
      await service.sendPrivateMessage(fakeSocket(alice).socket, {
        content: 'to bob',
        to: 'bob',
      });
      clock.advance(8 * 24 * 3600 * 1000);
      expect((await service.usersFor('alice')).map((u) => u.userID)).toEqual([
        'alice',
      ]);
    });
  });

  describe('fetchMessages', () => {
    const say = async (from: SocketData, to: string, content: string) => {
      const ack = await service.sendPrivateMessage(fakeSocket(from).socket, {
        content,
        to,
      });
      if (!ack.ok) throw new Error(ack.error);
      clock.advance(1000);
      return ack.message;
    };

    it("pages back through the caller's conversation, historyLimit at a time by default", async () => {
      const sent: Message[] = [];
      for (let i = 0; i < 4; i++)
        sent.push(
          await say(i % 2 ? bob : alice, i % 2 ? 'alice' : 'bob', `m${i}`),
        );
      expect(
        await service.fetchMessages('bob', {
          userID: 'alice',
          before: sent[3].id,
        }),
      ).toEqual({ ok: true, messages: sent.slice(0, 3), hasMore: false });
      expect(
        await service.fetchMessages('alice', {
          userID: 'bob',
          before: sent[3].id,
          limit: 2,
        }),
      ).toEqual({ ok: true, messages: sent.slice(1, 3), hasMore: true });
    });

    it("never reads another pair's conversation: the reader is always the caller", async () => {
      const m = await say(alice, 'bob', 'private');
      const after = `${m.id}Z`;
      expect(
        await service.fetchMessages('carol', { userID: 'bob', before: after }),
      ).toEqual({ ok: true, messages: [], hasMore: false });
      expect(
        await service.fetchMessages('carol', {
          userID: 'alice',
          before: after,
        }),
      ).toEqual({ ok: true, messages: [], hasMore: false });
    });

    it.each([
      ['no payload', undefined],
      ['no cursor', { userID: 'bob' }],
      ['a zero limit', { userID: 'bob', before: 'x', limit: 0 }],
      ['a huge limit', { userID: 'bob', before: 'x', limit: 101 }],
    ])('answers %s with "invalid payload"', async (_label, payload) => {
      expect(await service.fetchMessages('alice', payload)).toEqual({
        ok: false,
        error: ErrorCode.InvalidPayload,
      });
    });

    it('rate limits per user, in a bucket of its own', async () => {
      const fetch = () =>
        service.fetchMessages('alice', { userID: 'bob', before: 'Z' });
      for (let i = 0; i < 5; i++) expect((await fetch()).ok).toBe(true);
      expect(await fetch()).toEqual({
        ok: false,
        error: ErrorCode.RateLimited,
      });
      // Sending is not affected.
      expect(
        (
          await service.sendPrivateMessage(fakeSocket(alice).socket, {
            content: 'hi',
            to: 'bob',
          })
        ).ok,
      ).toBe(true);
    });

    it('answers "unavailable" when the store fails', async () => {
      messages.findMessagesBefore = () => Promise.reject(new Error('down'));
      expect(
        await service.fetchMessages('alice', { userID: 'bob', before: 'Z' }),
      ).toEqual({ ok: false, error: ErrorCode.Unavailable });
    });
  });
});
