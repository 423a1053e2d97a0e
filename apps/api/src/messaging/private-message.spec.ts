import { ErrorCode, MESSAGE_MAX_LENGTH, type Message } from '@chat/contracts';
import {
  ClientPool,
  say,
  startServer,
  type ConnectedUser,
  type TestServer,
} from '../testing/chat-test-kit';
import { MessagingService } from './messaging.service';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

// `private message`: routing, acks, validation and history, against the real app (sending again
// with a clientMessageId: idempotent-send.spec.ts; limits: transport/limits.spec.ts).
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
    const messaging = server.app.get(MessagingService);
    const original = messaging.send.bind(messaging);
    messaging.send = () => Promise.reject(new Error('handler broke'));
    const content = { content: 'hi', to: bob.session.userID };
    expect(await alice.client.send(content)).toEqual({
      ok: false,
      error: ErrorCode.Unavailable,
    });
    // Without an ack: logged all the same, and nothing reaches the client.
    alice.client.emitRaw('private message', content);
    // Handled in order: once this is answered, so was the one before.
    expect((await alice.client.send(content)).ok).toBe(false);
    messaging.send = original;
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
        unread: 1,
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
