import { ErrorCode, FETCH_MESSAGES_MAX, type Message } from '@chat/contracts';
import {
  ClientPool,
  say,
  startServer,
  type ConnectedUser,
  type TestServer,
} from '../testing/chat-test-kit';
import { testStores } from '../testing/test-stores';
import { MemoryMessageStore } from './stores/memory/memory-message.store';

const AFTER_ALL = '7ZZZZZZZZZZZZZZZZZZZZZZZZZ';

// Bounded `users` replay and `fetch messages`, against the real app with HISTORY_LIMIT=3.
describe('ChatGateway: history', () => {
  let server: TestServer;
  const pool = new ClientPool(() => server.url);
  let alice: ConnectedUser;
  let bob: ConnectedUser;
  let carol: ConnectedUser;

  const start = async (env: Record<string, string> = {}) => {
    server = await startServer({ HISTORY_LIMIT: '3', ...env });
    alice = await pool.connect({ username: 'alice' });
    bob = await pool.connect({ username: 'bob' });
    carol = await pool.connect({ username: 'carol' });
  };

  afterEach(async () => {
    expect(pool.allReceived.filter((r) => r.event === 'exception')).toEqual([]);
    pool.closeAll();
    await server.app.close();
  });

  /** n messages alternating between a and b, a first. */
  const thread = async (a: ConnectedUser, b: ConnectedUser, n: number) => {
    const sent: Message[] = [];
    for (let i = 0; i < n; i++)
      sent.push(await say(i % 2 ? b : a, i % 2 ? a : b, `m${i}`));
    return sent;
  };
  const reconnect = (user: ConnectedUser) =>
    pool.connect({ sessionID: user.session.sessionID });

  describe('the users replay', () => {
    beforeEach(() => start());

    it('carries only the last HISTORY_LIMIT messages of each conversation, with hasMoreMessages', async () => {
      const long = await thread(alice, bob, 7);
      const short = await thread(alice, carol, 3);
      const { users } = await reconnect(alice);
      expect(users.find((u) => u.userID === bob.session.userID)).toEqual({
        userID: bob.session.userID,
        username: 'bob',
        connected: true,
        messages: long.slice(4),
        hasMoreMessages: true,
        // Counted over the whole conversation (3 from bob), not just the replay.
        unread: 3,
      });
      // Exactly HISTORY_LIMIT: nothing older, so no flag at all.
      expect(users.find((u) => u.userID === carol.session.userID)).toEqual({
        userID: carol.session.userID,
        username: 'carol',
        connected: true,
        messages: short,
        unread: 1,
      });
      expect(users.find((u) => u.userID === alice.session.userID)).toEqual({
        userID: alice.session.userID,
        username: 'alice',
        connected: true,
        messages: [],
      });
    });

    it('delivers to an offline user in the replay when they next connect', async () => {
      bob.client.close();
      await alice.client.waitFor(
        'user disconnected',
        (id) => id === bob.session.userID,
      );
      const sent = [
        await say(alice, bob, 'while you were out 1'),
        await say(carol, bob, 'while you were out 2'),
      ];
      const { users } = await reconnect(bob);
      expect(
        users.find((u) => u.userID === alice.session.userID)?.messages,
      ).toEqual([sent[0]]);
      expect(
        users.find((u) => u.userID === carol.session.userID)?.messages,
      ).toEqual([sent[1]]);
    });
  });

  describe('fetch messages', () => {
    beforeEach(() => start());

    it('pages back to the beginning with no gaps or duplicates, HISTORY_LIMIT at a time by default', async () => {
      const sent = await thread(alice, bob, 11);
      const { users } = await reconnect(bob);
      const replay = users.find((u) => u.userID === alice.session.userID);
      if (!replay) throw new Error('no conversation with alice');
      let seen = replay.messages;
      let hasMore = replay.hasMoreMessages ?? false;
      const sizes: number[] = [];
      while (hasMore) {
        const ack = await bob.client.fetch({
          userID: alice.session.userID,
          before: seen[0].id,
        });
        if (!ack.ok) throw new Error(ack.error);
        sizes.push(ack.messages.length);
        seen = [...ack.messages, ...seen];
        hasMore = ack.hasMore;
      }
      expect(sizes).toEqual([3, 3, 2]);
      expect(seen).toEqual(sent);
      // And from alice's side, it is the same conversation.
      expect(
        await alice.client.fetch({
          userID: bob.session.userID,
          before: AFTER_ALL,
          limit: 11,
        }),
      ).toEqual({ ok: true, messages: sent, hasMore: false });
    });

    it('honours the page size asked for, up to FETCH_MESSAGES_MAX', async () => {
      const sent = await thread(alice, bob, 5);
      expect(
        await alice.client.fetch({
          userID: bob.session.userID,
          before: sent[4].id,
          limit: 1,
        }),
      ).toEqual({ ok: true, messages: [sent[3]], hasMore: true });
      expect(
        await alice.client.fetch({
          userID: bob.session.userID,
          before: sent[4].id,
          limit: FETCH_MESSAGES_MAX,
        }),
      ).toEqual({ ok: true, messages: sent.slice(0, 4), hasMore: false });
    });

    it("cannot read another pair's conversation: asking with someone else's peer gives only the caller's own", async () => {
      const secret = new Set((await thread(alice, bob, 4)).map((m) => m.id));
      await say(carol, bob, 'carol to bob');
      const answers = [
        // carol asks for "bob's conversation": she gets hers with bob, never alice's.
        await carol.client.fetch({
          userID: bob.session.userID,
          before: AFTER_ALL,
          limit: FETCH_MESSAGES_MAX,
        }),
        // ...and for alice's: she has none with alice.
        await carol.client.fetch({
          userID: alice.session.userID,
          before: AFTER_ALL,
        }),
        // Extra fields naming someone else as the reader change nothing.
        await carol.client.fetch({
          userID: bob.session.userID,
          before: AFTER_ALL,
          from: alice.session.userID,
          reader: alice.session.userID,
        }),
      ];
      expect(answers).toEqual([
        {
          ok: true,
          messages: [expect.objectContaining({ content: 'carol to bob' })],
          hasMore: false,
        },
        { ok: true, messages: [], hasMore: false },
        {
          ok: true,
          messages: [expect.objectContaining({ content: 'carol to bob' })],
          hasMore: false,
        },
      ]);
      const leaked = answers.flatMap((a) =>
        a.ok ? a.messages.filter((m) => secret.has(m.id)) : [],
      );
      expect(leaked).toEqual([]);
    });

    it('gives an empty page for an unknown peer', async () => {
      expect(
        await alice.client.fetch({ userID: 'nobody', before: AFTER_ALL }),
      ).toEqual({ ok: true, messages: [], hasMore: false });
    });

    it.each([
      ['undefined', undefined],
      ['null', null],
      ['a string', 'older please'],
      ['an array', ['BOB', AFTER_ALL]],
      ['no cursor', { userID: 'BOB' }],
      ['no peer', { before: AFTER_ALL }],
      ['an object peer', { userID: { $ne: '' }, before: AFTER_ALL }],
      ['a cursor with spaces', { userID: 'BOB', before: 'drop table' }],
      ['a huge cursor', { userID: 'BOB', before: 'x'.repeat(10_000) }],
      ['a zero limit', { userID: 'BOB', before: AFTER_ALL, limit: 0 }],
      ['a negative limit', { userID: 'BOB', before: AFTER_ALL, limit: -5 }],
      ['a fractional limit', { userID: 'BOB', before: AFTER_ALL, limit: 2.5 }],
      [
        'a limit over the max',
        { userID: 'BOB', before: AFTER_ALL, limit: FETCH_MESSAGES_MAX + 1 },
      ],
      ['a string limit', { userID: 'BOB', before: AFTER_ALL, limit: '10' }],
    ])('answers %s with "invalid payload"', async (_label, payload) => {
      const withBob = JSON.parse(
        JSON.stringify(payload ?? null).replaceAll(
          '"BOB"',
          JSON.stringify(bob.session.userID),
        ),
      );
      expect(
        await alice.client.fetch(payload === undefined ? undefined : withBob),
      ).toEqual({ ok: false, error: ErrorCode.InvalidPayload });
    });

    it('answers an event with only an ack (no payload) with "invalid payload"', async () => {
      const ack = await new Promise((resolve) =>
        alice.client.emitRaw('fetch messages', resolve),
      );
      expect(ack).toEqual({ ok: false, error: ErrorCode.InvalidPayload });
    });

    it('drops and logs a request without an ack, answering nothing and never throwing', async () => {
      alice.client.emitRaw('fetch messages', {
        userID: bob.session.userID,
        before: AFTER_ALL,
      });
      alice.client.emitRaw('fetch messages', { userID: 42 });
      alice.client.emitRaw('fetch messages');
      await server.logger.waitFor(
        'warn',
        /dropped a fetch messages from .+: no acknowledgement/,
      );
      await server.logger.waitFor(
        'warn',
        /dropped a fetch messages from .+: invalid payload/,
      );
      // Still serving: a proper request is answered.
      expect(
        await alice.client.fetch({
          userID: bob.session.userID,
          before: AFTER_ALL,
        }),
      ).toEqual({ ok: true, messages: [], hasMore: false });
      expect(alice.client.eventNames).toEqual([
        'session',
        'users',
        'user connected',
        'user connected',
      ]);
    });
  });

  it('rate limits fetches per user, in a bucket separate from messages', async () => {
    await start({ RATE_LIMIT_BURST: '2', RATE_LIMIT_PER_SECOND: '0.001' });
    const ask = () =>
      alice.client.fetch({ userID: bob.session.userID, before: AFTER_ALL });
    expect((await ask()).ok).toBe(true);
    expect((await ask()).ok).toBe(true);
    expect(await ask()).toEqual({ ok: false, error: ErrorCode.RateLimited });
    expect(
      (await alice.client.send({ content: 'hi', to: bob.session.userID })).ok,
    ).toBe(true);
    expect(
      (
        await bob.client.fetch({
          userID: alice.session.userID,
          before: AFTER_ALL,
        })
      ).ok,
    ).toBe(true);
  });

  it('answers "unavailable" when the store fails, and recovers', async () => {
    const messages = new MemoryMessageStore();
    server = await startServer({}, { stores: testStores(undefined, messages) });
    alice = await pool.connect({ username: 'alice' });
    const read = messages.findMessagesBefore.bind(messages);
    messages.findMessagesBefore = () =>
      Promise.reject(new Error('disk on fire'));
    expect(
      await alice.client.fetch({ userID: 'anyone', before: AFTER_ALL }),
    ).toEqual({ ok: false, error: ErrorCode.Unavailable });
    expect(server.logger.has('error', /disk on fire/)).toBe(true);
    messages.findMessagesBefore = read;
    expect(
      (await alice.client.fetch({ userID: 'anyone', before: AFTER_ALL })).ok,
    ).toBe(true);
  });
});
