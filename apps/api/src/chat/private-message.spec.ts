import { ErrorCode, MESSAGE_MAX_LENGTH, type Message } from '@chat/contracts';
import { within } from '@chat/test-support';
import {
  ClientPool,
  eventually,
  say,
  startServer,
  TestClient,
  WAIT_MS,
  type ConnectedUser,
  type TestServer,
} from '../testing/chat-test-kit';
import { ChatService, TOO_MANY_NEW_SESSIONS } from './chat.service';
import { TOO_MANY_CONNECTIONS } from '../app/connection-gate';
import {
  FlakyMessageStore,
  GatedSessionStore,
  testStores,
} from '../testing/test-stores';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

// `private message`: routing, acks, validation, limits and history, against the real app.
describe('ChatGateway: private messages', () => {
  let server: TestServer;
  const pool = new ClientPool(() => server.url);
  let alice: ConnectedUser;
  let bob: ConnectedUser;

  beforeEach(async () => {
    server = await startServer();
    alice = await pool.connect({ username: 'alice' });
    bob = await pool.connect({ username: 'bob' });
  });

  afterEach(async () => {
    // Whatever a test sent, Nest's `exception` event never reached anyone.
    expect(pool.allReceived.filter((r) => r.event === 'exception')).toEqual([]);
    pool.closeAll();
    await server.app.close();
  });

  const tab = (user: ConnectedUser) =>
    pool.connect({ sessionID: user.session.sessionID });

  it('acks with the stored message: server-set from, id and time', async () => {
    const before = Date.now();
    const ack = await alice.client.send({
      content: 'hi bob',
      to: bob.session.userID,
    });
    if (!ack.ok) throw new Error(`refused: ${ack.error}`);
    expect(ack.message).toEqual({
      id: expect.stringMatching(ULID),
      content: 'hi bob',
      from: alice.session.userID,
      to: bob.session.userID,
      at: expect.any(String),
    });
    const at = Date.parse(ack.message.at);
    expect(new Date(at).toISOString()).toBe(ack.message.at);
    expect(at).toBeGreaterThanOrEqual(before - 1);
    expect(at).toBeLessThanOrEqual(Date.now() + 1);
    expect(await bob.client.waitFor('private message')).toEqual(ack.message);
  });

  it("reaches every tab of the recipient and the sender's other tabs, never the sending socket", async () => {
    const alice2 = await tab(alice);
    const bob2 = await tab(bob);
    const ack = await alice.client.send({
      content: 'to all tabs',
      to: bob.session.userID,
    });
    if (!ack.ok) throw new Error(`refused: ${ack.error}`);
    for (const client of [bob.client, bob2.client, alice2.client]) {
      expect(await client.waitFor('private message')).toEqual(ack.message);
    }
    // Positive control: a reply does reach alice's first tab, which still has only that one.
    await bob.client.send({ content: 'reply', to: alice.session.userID });
    await alice.client.waitFor('private message', (m) => m.content === 'reply');
    expect(alice.client.all('private message').map((m) => m.content)).toEqual([
      'reply',
    ]);
    expect(bob2.client.all('private message').map((m) => m.content)).toEqual([
      'to all tabs',
      'reply',
    ]);
  });

  it('ignores a forged from', async () => {
    const carol = await pool.connect({ username: 'carol' });
    const ack = await alice.client.send({
      content: 'it was carol',
      to: bob.session.userID,
      from: carol.session.userID,
    });
    expect(ack).toMatchObject({
      ok: true,
      message: { from: alice.session.userID },
    });
    expect((await bob.client.waitFor('private message')).from).toBe(
      alice.session.userID,
    );
  });

  it('delivers a message to self once to each other tab, not to the sending one', async () => {
    const alice2 = await tab(alice);
    const ack = await alice.client.send({
      content: 'note to self',
      to: alice.session.userID,
    });
    expect(ack).toMatchObject({
      ok: true,
      message: { from: alice.session.userID, to: alice.session.userID },
    });
    await alice2.client.waitFor('private message');
    // Positive control, then the count: once on tab 2, never on tab 1, nothing for bob.
    await bob.client.send({ content: 'control', to: alice.session.userID });
    await alice2.client.waitFor(
      'private message',
      (m) => m.content === 'control',
    );
    expect(alice2.client.all('private message').map((m) => m.content)).toEqual([
      'note to self',
      'control',
    ]);
    await alice.client.waitFor(
      'private message',
      (m) => m.content === 'control',
    );
    expect(alice.client.all('private message').map((m) => m.content)).toEqual([
      'control',
    ]);
    expect(bob.client.all('private message')).toEqual([]);
  });

  it('works for a guide-style client that sends without an ack', async () => {
    alice.client.socket.emit('private message', {
      content: 'no ack',
      to: bob.session.userID,
    });
    expect(await bob.client.waitFor('private message')).toMatchObject({
      content: 'no ack',
      from: alice.session.userID,
    });
  });

  it('refuses an unknown recipient and delivers nothing', async () => {
    expect(
      await alice.client.send({ content: 'anyone?', to: 'nobody' }),
    ).toEqual({
      ok: false,
      error: ErrorCode.UnknownRecipient,
    });
    await alice.client.send({ content: 'control', to: bob.session.userID });
    await bob.client.waitFor('private message', (m) => m.content === 'control');
    expect(bob.client.all('private message').map((m) => m.content)).toEqual([
      'control',
    ]);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'hello'],
    ['a number', 42],
    ['a boolean', true],
    ['an empty object', {}],
    ['missing to', { content: 'hi' }],
    ['missing content', { to: 'BOB' }],
    ['numeric content', { content: 1, to: 'BOB' }],
    ['blank content', { content: ' \n\t ', to: 'BOB' }],
    ['object content', { content: { text: 'hi' }, to: 'BOB' }],
    ['an object recipient', { content: 'hi', to: { $ne: '' } }],
    ['a numeric recipient', { content: 'hi', to: 7 }],
    ['an array', ['hi', 'BOB']],
  ])(
    'answers %s with "invalid payload" and delivers nothing',
    async (_label, payload) => {
      // 'BOB' stands for bob's real userID, so only the broken field is wrong.
      const withBob = JSON.parse(
        JSON.stringify(payload ?? null).replaceAll(
          '"BOB"',
          JSON.stringify(bob.session.userID),
        ),
      );
      expect(
        await alice.client.send(payload === undefined ? undefined : withBob),
      ).toEqual({
        ok: false,
        error: ErrorCode.InvalidPayload,
      });
      await alice.client.send({ content: 'control', to: bob.session.userID });
      await bob.client.waitFor(
        'private message',
        (m) => m.content === 'control',
      );
      expect(bob.client.all('private message').map((m) => m.content)).toEqual([
        'control',
      ]);
    },
  );

  it('answers an event with only an ack (no payload) with "invalid payload"', async () => {
    const ack = await new Promise((resolve) =>
      alice.client.emitRaw('private message', resolve),
    );
    expect(ack).toEqual({ ok: false, error: ErrorCode.InvalidPayload });
  });

  it('answers content over the limit, up to what a frame holds, with "too large"', async () => {
    const longest = await alice.client.send({
      content: 'x'.repeat(MESSAGE_MAX_LENGTH),
      to: bob.session.userID,
    });
    expect(longest.ok).toBe(true);
    for (const size of [MESSAGE_MAX_LENGTH + 1, 30_000]) {
      expect(
        await alice.client.send({
          content: 'x'.repeat(size),
          to: bob.session.userID,
        }),
      ).toEqual({ ok: false, error: ErrorCode.TooLarge });
    }
    await alice.client.send({ content: 'control', to: bob.session.userID });
    await bob.client.waitFor('private message', (m) => m.content === 'control');
    expect(
      bob.client.all('private message').map((m) => m.content.length),
    ).toEqual([MESSAGE_MAX_LENGTH, 'control'.length]);
  });

  it('drops and logs bad input sent without an ack, answering nothing', async () => {
    const emit = (event: string, ...args: unknown[]) =>
      alice.client.emitRaw(event, ...args);
    emit('private message');
    emit('private message', null);
    emit('private message', { content: 'hi' });
    emit('private message', {
      content: 'x'.repeat(30_000),
      to: bob.session.userID,
    });
    emit('private message', { content: 'hi', to: 'nobody' });
    // A non-function "ack" and extra arguments are not the protocol's one payload: invalid.
    emit(
      'private message',
      { content: 'bad ack', to: bob.session.userID },
      'not a function',
    );
    emit('private message', { content: 'extra', to: bob.session.userID }, 1, 2);
    await alice.client.send({ content: 'control', to: bob.session.userID });
    await bob.client.waitFor('private message', (m) => m.content === 'control');
    expect(bob.client.all('private message').map((m) => m.content)).toEqual([
      'control',
    ]);
    expect(alice.client.eventNames).toEqual([
      'session',
      'users',
      'user connected',
    ]);
    const drops = server.logger.lines.filter(
      (l) => l.level === 'warn' && /dropped a private message/.test(l.message),
    );
    // Order may differ: the recipient check awaits the store, validation does not.
    expect(drops.map((l) => l.message.split(': ').pop()).sort()).toEqual(
      [
        ...Array<string>(5).fill(ErrorCode.InvalidPayload),
        ErrorCode.TooLarge,
        ErrorCode.UnknownRecipient,
      ].sort(),
    );
  });

  it('lets a message sent before the session arrives reach its recipient (handlers bound at once)', async () => {
    // The client buffers this emit and sends it the moment the handshake completes.
    const carol = pool.open({ username: 'carol' });
    const acked = carol.send({
      content: 'first words',
      to: alice.session.userID,
    });
    expect(await acked).toMatchObject({ ok: true });
    expect(await alice.client.waitFor('private message')).toMatchObject({
      content: 'first words',
    });
    await carol.waitFor('users');
  });

  it('survives any garbage and keeps serving', async () => {
    const emit = (event: string, ...args: unknown[]) =>
      alice.client.emitRaw(event, ...args);
    const garbage: unknown[] = [
      Buffer.from('binary'),
      [[[[[[[]]]]]]],
      { content: ['a'], to: [bob.session.userID] },
      { content: 'hi', to: 'x'.repeat(10_000) },
      { __proto__: { content: 'hi', to: bob.session.userID } },
      { constructor: { prototype: { polluted: true } }, content: 'hi' },
      Number.MAX_VALUE,
      'x'.repeat(30_000),
    ];
    for (const payload of garbage) {
      emit('private message', payload);
      emit('private message', payload, () => undefined);
    }
    emit('no such event', { content: 'hi' });
    const ack = await alice.client.send({
      content: 'still here',
      to: bob.session.userID,
    });
    expect(ack.ok).toBe(true);
    await bob.client.waitFor(
      'private message',
      (m) => m.content === 'still here',
    );
    expect(bob.client.all('private message').map((m) => m.content)).toEqual([
      'still here',
    ]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    // A newcomer can still join and talk.
    const carol = await pool.connect({ username: 'carol' });
    expect(
      (await carol.client.send({ content: 'hello', to: bob.session.userID }))
        .ok,
    ).toBe(true);
  });

  it('answers "unavailable" and logs if the handler itself throws, and keeps serving', async () => {
    const chat = server.app.get(ChatService);
    const original = chat.sendPrivateMessage.bind(chat);
    chat.sendPrivateMessage = () => Promise.reject(new Error('handler broke'));
    const content = { content: 'hi', to: bob.session.userID };
    expect(await alice.client.send(content)).toEqual({
      ok: false,
      error: ErrorCode.Unavailable,
    });
    // Without an ack: logged all the same, and nothing reaches the client.
    alice.client.emitRaw('private message', content);
    // Handled in order: once this is answered, so was the one before.
    expect((await alice.client.send(content)).ok).toBe(false);
    chat.sendPrivateMessage = original;
    expect((await alice.client.send(content)).ok).toBe(true);
    const failures = server.logger.lines.filter(
      (l) =>
        l.level === 'error' &&
        l.message.includes('handler for "private message" failed') &&
        l.message.includes('handler broke'),
    );
    expect(failures).toHaveLength(3);
    expect(alice.client.eventNames).not.toContain('exception');
  });

  describe('sending again with a clientMessageId', () => {
    const contents = (user: ConnectedUser) =>
      user.client.all('private message').map((m) => m.content);
    /** A different message afterwards, once it has arrived: whatever a repeat sent came before. */
    const control = async (
      from: ConnectedUser,
      to: ConnectedUser,
      ...observers: ConnectedUser[]
    ) => {
      const ack = await from.client.send({
        content: 'control',
        to: to.session.userID,
      });
      if (!ack.ok) throw new Error(`refused: ${ack.error}`);
      for (const observer of [to, ...observers])
        await observer.client.waitFor(
          'private message',
          (m) => m.id === ack.message.id,
        );
    };
    const conversationOf =
      (users: { userID: string; messages: Message[] }[]) => (userID: string) =>
        users.find((u) => u.userID === userID)?.messages.map((m) => m.content);

    it('acks a repeat with the message stored first and delivers it once, to the recipient and the other tab', async () => {
      const alice2 = await tab(alice);
      const payload = {
        content: 'once',
        to: bob.session.userID,
        clientMessageId: 'c-1',
      };
      const first = await alice.client.send(payload);
      if (!first.ok) throw new Error(`refused: ${first.error}`);
      expect(await alice.client.send(payload)).toEqual(first);
      await control(alice, bob, alice2);
      expect(contents(bob)).toEqual(['once', 'control']);
      expect(contents(alice2)).toEqual(['once', 'control']);
      expect(contents(alice)).toEqual([]);
      expect(bob.client.all('private message')[0]).toEqual(first.message);
    });

    it('hands the clientMessageId out with the message (ack, events, replay, fetch messages), and none without one', async () => {
      const alice2 = await tab(alice);
      const keyed = await alice.client.send({
        content: 'with a key',
        to: bob.session.userID,
        clientMessageId: 'carried',
      });
      const plain = await alice.client.send({
        content: 'without',
        to: bob.session.userID,
      });
      if (!keyed.ok || !plain.ok) throw new Error('refused');
      expect(keyed.message).toEqual({
        id: expect.stringMatching(ULID),
        content: 'with a key',
        from: alice.session.userID,
        to: bob.session.userID,
        at: expect.any(String),
        clientMessageId: 'carried',
      });
      const hasKey = (m: Message) => 'clientMessageId' in m;
      expect(hasKey(plain.message)).toBe(false);
      const both = [keyed.message, plain.message];
      for (const observer of [bob, alice2]) {
        await observer.client.waitFor(
          'private message',
          (m) => m.id === plain.message.id,
        );
        const received = observer.client.all('private message');
        expect(received).toEqual(both);
        expect(received.map(hasKey)).toEqual([true, false]);
      }
      // A repeat is answered with it too.
      expect(
        await alice.client.send({
          content: 'with a key',
          to: bob.session.userID,
          clientMessageId: 'carried',
        }),
      ).toEqual(keyed);

      const replayed = (await tab(alice)).users.find(
        (u) => u.userID === bob.session.userID,
      )?.messages;
      expect(replayed).toEqual(both);
      expect(replayed?.map(hasKey)).toEqual([true, false]);
      const page = await bob.client.fetch({
        userID: alice.session.userID,
        before: '7ZZZZZZZZZZZZZZZZZZZZZZZZZ',
      });
      if (!page.ok) throw new Error(`refused: ${page.error}`);
      expect(page.messages).toEqual(both);
      expect(page.messages.map(hasKey)).toEqual([true, false]);
    });

    it('stores and delivers once two sends of one message at the same moment', async () => {
      const payload = {
        content: 'twice at once',
        to: bob.session.userID,
        clientMessageId: 'at-once',
      };
      const [one, two] = await Promise.all([
        alice.client.send(payload),
        alice.client.send(payload),
      ]);
      expect(one.ok).toBe(true);
      expect(two).toEqual(one);
      await control(alice, bob);
      expect(contents(bob)).toEqual(['twice at once', 'control']);
    });

    it('acks a repeat after the sender reconnects with the same message, delivers nothing new, and keeps one copy in history', async () => {
      const payload = {
        content: 'before the drop',
        to: bob.session.userID,
        clientMessageId: 'across-reconnect',
      };
      const first = await alice.client.send(payload);
      if (!first.ok) throw new Error(`refused: ${first.error}`);
      alice.client.close();
      const back = await tab(alice);
      expect(await back.client.send(payload)).toEqual(first);
      await control(back, bob);
      expect(contents(bob)).toEqual(['before the drop', 'control']);

      expect(conversationOf(back.users)(bob.session.userID)).toEqual([
        'before the drop',
      ]);
      const bobAgain = await tab(bob);
      expect(conversationOf(bobAgain.users)(alice.session.userID)).toEqual([
        'before the drop',
        'control',
      ]);
      const page = await bob.client.fetch({
        userID: alice.session.userID,
        before: '7ZZZZZZZZZZZZZZZZZZZZZZZZZ',
      });
      expect(page).toMatchObject({
        ok: true,
        messages: [first.message, { content: 'control' }],
        hasMore: false,
      });
    });

    it('answers a repeat with other content or another recipient with the original, and delivers nothing', async () => {
      const carol = await pool.connect({ username: 'carol' });
      const first = await alice.client.send({
        content: 'original',
        to: bob.session.userID,
        clientMessageId: 'key',
      });
      expect(
        await alice.client.send({
          content: 'changed',
          to: carol.session.userID,
          clientMessageId: 'key',
        }),
      ).toEqual(first);
      await control(alice, carol);
      await control(alice, bob);
      expect(contents(carol)).toEqual(['control']);
      expect(contents(bob)).toEqual(['original', 'control']);
    });

    it("keeps two senders' equal clientMessageIds apart", async () => {
      const fromAlice = await alice.client.send({
        content: 'from alice',
        to: bob.session.userID,
        clientMessageId: 'same',
      });
      const fromBob = await bob.client.send({
        content: 'from bob',
        to: alice.session.userID,
        clientMessageId: 'same',
      });
      if (!fromAlice.ok || !fromBob.ok) throw new Error('refused');
      expect(fromBob.message.id).not.toBe(fromAlice.message.id);
      expect(await bob.client.waitFor('private message')).toEqual(
        fromAlice.message,
      );
      expect(await alice.client.waitFor('private message')).toEqual(
        fromBob.message,
      );
    });

    it.each([
      ['empty', ''],
      ['a number', 7],
      ['null', null],
      ['with a space', 'a b'],
      ['65 characters long', 'x'.repeat(65)],
    ])(
      'answers a clientMessageId %s with "invalid payload" and stores nothing',
      async (_label, clientMessageId) => {
        expect(
          await alice.client.send({
            content: 'bad key',
            to: bob.session.userID,
            clientMessageId,
          }),
        ).toEqual({ ok: false, error: ErrorCode.InvalidPayload });
        await control(alice, bob);
        expect(contents(bob)).toEqual(['control']);
        expect(
          conversationOf((await tab(bob)).users)(alice.session.userID),
        ).toEqual(['control']);
      },
    );
  });

  describe('history in the users replay', () => {
    it('gives an offline recipient the message when they reconnect', async () => {
      bob.client.close();
      await alice.client.waitFor(
        'user disconnected',
        (id) => id === bob.session.userID,
      );
      const ack = await alice.client.send({
        content: 'while you were out',
        to: bob.session.userID,
      });
      if (!ack.ok) throw new Error(`refused: ${ack.error}`);
      const back = await pool.connect({ sessionID: bob.session.sessionID });
      const fromAlice = back.users.find(
        (u) => u.userID === alice.session.userID,
      );
      expect(fromAlice).toEqual({
        userID: alice.session.userID,
        username: 'alice',
        connected: true,
        messages: [ack.message],
      });
    });

    it('replays both directions of each conversation, oldest first, and only its own', async () => {
      const carol = await pool.connect({ username: 'carol' });
      const sent: Message[] = [];
      for (const [from, to, content] of [
        [alice, bob, 'a1'],
        [bob, alice, 'b1'],
        [carol, bob, 'c1'],
        [alice, bob, 'a2'],
        [alice, alice, 'self'],
        [carol, alice, 'c2'],
      ] as const) {
        sent.push(await say(from, to, content));
      }

      const replay = (await tab(alice)).users;
      const contents = (userID: string) =>
        replay.find((u) => u.userID === userID)?.messages.map((m) => m.content);
      expect(contents(bob.session.userID)).toEqual(['a1', 'b1', 'a2']);
      expect(contents(carol.session.userID)).toEqual(['c2']);
      expect(contents(alice.session.userID)).toEqual(['self']);
      const ids = replay.flatMap((u) => u.messages.map((m) => m.id));
      expect(new Set(ids).size).toBe(ids.length);
      const bobThread =
        replay.find((u) => u.userID === bob.session.userID)?.messages ?? [];
      expect(bobThread).toEqual(
        sent.filter((m) => ['a1', 'b1', 'a2'].includes(m.content)),
      );
      expect([...bobThread.map((m) => m.id)].sort()).toEqual(
        bobThread.map((m) => m.id),
      );
    });
  });
});

describe('ChatGateway: limits', () => {
  let server: TestServer;
  const pool = new ClientPool(() => server.url);

  afterEach(async () => {
    pool.closeAll();
    await server.app.close();
  });

  it('rate limits per user across tabs, and not other users', async () => {
    server = await startServer({
      RATE_LIMIT_BURST: '3',
      RATE_LIMIT_PER_SECOND: '0.001',
    });
    const alice = await pool.connect({ username: 'alice' });
    const alice2 = await pool.connect({ sessionID: alice.session.sessionID });
    const bob = await pool.connect({ username: 'bob' });
    const to = bob.session.userID;
    const results = [];
    for (let i = 0; i < 3; i++)
      results.push(await alice.client.send({ content: `m${i}`, to }));
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(await alice.client.send({ content: 'm3', to })).toEqual({
      ok: false,
      error: ErrorCode.RateLimited,
    });
    expect(await alice2.client.send({ content: 'other tab', to })).toEqual({
      ok: false,
      error: ErrorCode.RateLimited,
    });
    expect(
      (
        await bob.client.send({
          content: 'bob is fine',
          to: alice.session.userID,
        })
      ).ok,
    ).toBe(true);
    expect(bob.client.all('private message').map((m) => m.content)).toEqual([
      'm0',
      'm1',
      'm2',
    ]);
  });

  it('starts at most NEW_SESSIONS_PER_MINUTE new users per client address; resuming is not counted', async () => {
    server = await startServer({ NEW_SESSIONS_PER_MINUTE: '2' });
    const alice = await pool.connect({ username: 'alice' });
    await pool.connect({ username: 'bob' });
    const refused = await pool.refused({ username: 'carol' });
    expect(refused.message).toBe(ErrorCode.RateLimited);
    expect(refused.data).toEqual({ reason: TOO_MANY_NEW_SESSIONS });
    // Her session is no new user: it resumes.
    const again = await pool.connect({ sessionID: alice.session.sessionID });
    expect(again.session).toEqual(alice.session);
    // Nothing was stored for carol.
    expect(again.users.map((user) => user.username).sort()).toEqual([
      'alice',
      'bob',
    ]);
  });

  it('holds at most MAX_CONNECTIONS_PER_ADDRESS connections of one address open, resumes included', async () => {
    server = await startServer({ MAX_CONNECTIONS_PER_ADDRESS: '2' });
    /** Whether a client's handshake ends connected (or refused). */
    const connects = (client: TestClient) =>
      within(
        new Promise<boolean>((resolve) => {
          client.socket.once('connect', () => resolve(true));
          client.socket.once('connect_error', () => resolve(false));
        }),
        WAIT_MS,
        'the end of the handshake',
      );
    const alice = await pool.connect({ username: 'alice' });
    const again = { sessionID: alice.session.sessionID };
    const second = await pool.connect(again);
    // Refused before any session exists: a transport error, which socket.io-client retries.
    expect(await pool.refused(again)).toMatchObject({
      message: 'websocket error',
    });
    const polling = await fetch(
      `${server.url}/socket.io/?EIO=4&transport=polling`,
    );
    expect(polling.status).toBe(403);
    expect(await polling.json()).toMatchObject({
      message: TOO_MANY_CONNECTIONS,
    });
    second.client.close();
    // Once the server has seen one close, another tab gets in.
    await eventually(async () => {
      const tab = pool.open(again);
      if (await connects(tab)) return true;
      tab.close();
      return false;
    }, 'another tab of alice connected');
  });

  it('counts the address a trusted proxy forwards (TRUST_PROXY), and only then', async () => {
    const from = (address: string) => ({
      headers: { 'x-forwarded-for': address },
    });
    server = await startServer({
      NEW_SESSIONS_PER_MINUTE: '1',
      TRUST_PROXY: 'true',
    });
    const url = server.url;
    await pool.connect({ username: 'alice' }, url, from('198.51.100.1'));
    await pool.connect({ username: 'bob' }, url, from('198.51.100.2'));
    // The last entry is the one the proxy added; the ones before it, the client's own word.
    const forged = await pool.refused(
      { username: 'mallory' },
      url,
      from('198.51.100.3, 198.51.100.1'),
    );
    expect(forged.message).toBe(ErrorCode.RateLimited);
    await server.app.close();

    // Without TRUST_PROXY the header changes nothing: one address, one new user.
    server = await startServer({ NEW_SESSIONS_PER_MINUTE: '1' });
    await pool.connect({ username: 'alice' }, server.url, from('198.51.100.1'));
    expect(
      (
        await pool.refused(
          { username: 'bob' },
          server.url,
          from('198.51.100.2'),
        )
      ).message,
    ).toBe(ErrorCode.RateLimited);
  });

  it('cuts a frame above MAX_PAYLOAD_BYTES at the transport, and the server keeps serving', async () => {
    server = await startServer({ MAX_PAYLOAD_BYTES: '65536' });
    const alice = await pool.connect({ username: 'alice' });
    const bob = await pool.connect({ username: 'bob' });
    alice.client.socket.emit('private message', {
      content: 'x'.repeat(100_000),
      to: bob.session.userID,
    });
    expect(await alice.client.disconnected()).toBe('transport close');
    const carol = await pool.connect({ username: 'carol' });
    expect(
      (await carol.client.send({ content: 'hi', to: bob.session.userID })).ok,
    ).toBe(true);
    await bob.client.waitFor('private message', (m) => m.content === 'hi');
    expect(bob.client.all('private message').map((m) => m.content)).toEqual([
      'hi',
    ]);
  });

  it('answers "unavailable" when the store fails, emits nothing, and recovers', async () => {
    const messages = new FlakyMessageStore();
    server = await startServer({}, { stores: testStores(undefined, messages) });
    const alice = await pool.connect({ username: 'alice' });
    const bob = await pool.connect({ username: 'bob' });
    messages.failing = true;
    expect(
      await alice.client.send({ content: 'lost', to: bob.session.userID }),
    ).toEqual({
      ok: false,
      error: ErrorCode.Unavailable,
    });
    expect(server.logger.has('error', /disk on fire/)).toBe(true);
    messages.failing = false;
    expect(
      (await alice.client.send({ content: 'kept', to: bob.session.userID })).ok,
    ).toBe(true);
    await bob.client.waitFor('private message', (m) => m.content === 'kept');
    expect(bob.client.all('private message').map((m) => m.content)).toEqual([
      'kept',
    ]);
    const replay = (await pool.connect({ sessionID: bob.session.sessionID }))
      .users;
    expect(
      replay
        .find((u) => u.userID === alice.session.userID)
        ?.messages.map((m) => m.content),
    ).toEqual(['kept']);
  });

  it('handles messages sent while the connection sequence is still storing the session', async () => {
    const sessions = new GatedSessionStore();
    server = await startServer({}, { stores: testStores(sessions) });
    const alice = await pool.connect({ username: 'alice' });
    // carol's connection will wait in "store the session" (the guide's await before handlers)...
    sessions.saves.close();
    const carol = pool.open({ username: 'carol' });
    const ack = await carol.send({
      content: 'early bird',
      to: alice.session.userID,
    });
    // ...yet her message is handled meanwhile: acked and delivered before her session exists.
    expect(ack).toMatchObject({ ok: true, message: { content: 'early bird' } });
    expect(await alice.client.waitFor('private message')).toMatchObject({
      content: 'early bird',
    });
    expect(carol.all('session')).toEqual([]);
    sessions.saves.open();
    const users = await carol.waitFor('users');
    expect(
      users
        .find((u) => u.userID === alice.session.userID)
        ?.messages.map((m) => m.content),
    ).toEqual(['early bird']);
  });
});
