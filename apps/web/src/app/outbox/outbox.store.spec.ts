import {
  ChatEvent,
  ErrorCode,
  MESSAGE_MAX_LENGTH,
  type UserView,
} from '@chat/contracts';
import type { ConversationsStore } from '../conversations/conversations.store';
import {
  ALICE,
  contents,
  message,
  settle,
  signedIn,
  user,
  view,
} from '../testing/chat-harness';
import type { FakeChatSocket } from '../testing/fake-chat-socket';

beforeEach(() => {
  localStorage.clear();
  // Pending sends kept for a reload (see saved-sends.spec.ts) stay out of these tests.
  sessionStorage.clear();
});
afterEach(() => jest.useRealTimers());

/** The messages to bob that failed, with Retry. */
const failedContents = (conversations: ConversationsStore) =>
  user(conversations, 'bob')
    .messages.filter((m) => m.failed)
    .map((m) => m.content);

describe('OutboxStore: send', () => {
  it('shows the message at once and replaces it with the stored one on ack, exactly once', async () => {
    const { socket, conversations, outbox } = signedIn();
    conversations.select('uBob');
    expect(outbox.send('hi bob')).toBe(true);
    expect(socket.sent).toHaveLength(1);
    expect(socket.sent[0].event).toBe(ChatEvent.PrivateMessage);
    expect(socket.sent[0].payload).toEqual({
      content: 'hi bob',
      to: 'uBob',
      clientMessageId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    });
    const { clientMessageId } = socket.sent[0].payload as {
      clientMessageId: string;
    };
    expect(user(conversations, 'bob').messages).toMatchObject([
      { content: 'hi bob', pending: true, fromSelf: true, clientMessageId },
    ]);

    const stored = message('uAlice', 'uBob', 'hi bob');
    socket.sent[0].ack({ ok: true, message: stored });
    await settle();
    expect(user(conversations, 'bob').messages).toMatchObject([
      { id: stored.id, pending: false, fromSelf: true },
    ]);
    // A stray echo (the server should not send one to us) is still not a duplicate.
    socket.serverEmit(ChatEvent.PrivateMessage, stored);
    expect(contents(conversations, 'bob')).toEqual(['hi bob']);
  });

  it('keeps pending messages after stored ones that arrive meanwhile', () => {
    const { socket, conversations, outbox } = signedIn();
    conversations.select('uBob');
    outbox.send('mine');
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uBob', 'uAlice', 'theirs'),
    );
    expect(contents(conversations, 'bob')).toEqual(['theirs', 'mine']);
  });

  it('removes a refused message and reports why, for its conversation only', async () => {
    const { socket, conversations, outbox } = signedIn();
    conversations.select('uBob');
    outbox.send('too fast');
    socket.sent[0].ack({ ok: false, error: ErrorCode.UnknownRecipient });
    await settle();
    expect(contents(conversations, 'bob')).toEqual([]);
    expect(outbox.sendFailure()).toMatchObject({
      kind: 'send',
      to: 'uBob',
      content: 'too fast',
      code: ErrorCode.UnknownRecipient,
      kept: false,
    });
    expect(outbox.sendFailure()?.message).toMatch(/unknown/i);
    conversations.select('uCarol');
    expect(outbox.sendFailure()).toBeNull();
    conversations.select('uBob');
    expect(outbox.sendFailure()).not.toBeNull();
    // The next send starts clean.
    outbox.send('again');
    expect(outbox.sendFailure()).toBeNull();
  });

  it('gives every send its own random clientMessageId', () => {
    const { socket, conversations, outbox } = signedIn();
    conversations.select('uBob');
    outbox.send('one');
    outbox.send('two');
    const [a, b] = socket.sent.map(
      (sent) => (sent.payload as { clientMessageId: string }).clientMessageId,
    );
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(b).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a).not.toBe(b);
  });

  it('sends nothing blank, too long, or without a selected user', () => {
    const { socket, conversations, outbox } = signedIn();
    expect(outbox.send('hello')).toBe(false);
    conversations.select('uBob');
    expect(outbox.send('   \n ')).toBe(false);
    expect(outbox.send('x'.repeat(MESSAGE_MAX_LENGTH + 1))).toBe(false);
    expect(outbox.sendFailure()?.code).toBe(ErrorCode.TooLarge);
    expect(socket.sent).toHaveLength(0);
    expect(contents(conversations, 'bob')).toEqual([]);
  });
});

describe('OutboxStore: sends across a lost connection', () => {
  type Payload = { content: string; to: string; clientMessageId: string };
  const payloads = (socket: FakeChatSocket) =>
    socket.sent
      .filter((sent) => sent.event === ChatEvent.PrivateMessage)
      .map((sent) => sent.payload as Payload);
  const lastSent = (socket: FakeChatSocket) => {
    const sent = socket.sent.at(-1);
    if (!sent) throw new Error('nothing sent');
    return sent;
  };
  const pendingOf = (conversations: ConversationsStore, username: string) =>
    user(conversations, username)
      .messages.filter((m) => m.pending)
      .map((m) => m.content);

  /** The link comes back: the handshake, the session, then the server's replay of `users`. */
  function reconnect(
    socket: FakeChatSocket,
    users: UserView[] = [view('uBob', 'bob'), view('uCarol', 'carol', false)],
  ) {
    socket.connectOk();
    socket.serverEmit(ChatEvent.Session, ALICE);
    socket.serverEmit(ChatEvent.Users, [view(ALICE.userID, 'alice'), ...users]);
  }

  it('keeps an unanswered send pending, with nothing shown as failed', async () => {
    const { socket, conversations, outbox, lastError } = signedIn();
    conversations.select('uBob');
    outbox.send('lost');
    socket.sent[0].fail(new Error('operation has timed out'));
    await settle();
    expect(user(conversations, 'bob').messages).toMatchObject([
      { content: 'lost', pending: true },
    ]);
    expect(outbox.sendFailure()).toBeNull();
    // A server that could not store it answers `unavailable`: the same.
    conversations.select('uCarol');
    outbox.send('also');
    socket.sent[1].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    expect(pendingOf(conversations, 'carol')).toEqual(['also']);
    expect(outbox.sendFailure()).toBeNull();
    expect(lastError()).toBeNull();
  });

  it('sends again after the reconnect replay, once each, in order, with the same clientMessageId', async () => {
    const { socket, conversations, outbox } = signedIn();
    conversations.select('uBob');
    outbox.send('one');
    outbox.send('two');
    const [one, two] = payloads(socket);
    socket.drop();
    socket.sent[0].fail(new Error('socket has been disconnected'));
    socket.sent[1].fail(new Error('socket has been disconnected'));
    await settle();
    // Written while the link is down: shown as sending, not emitted (it would overtake the others).
    outbox.send('three');
    expect(socket.sent).toHaveLength(2);
    expect(pendingOf(conversations, 'bob')).toEqual(['one', 'two', 'three']);

    // Nothing goes before the replay.
    socket.connectOk();
    socket.serverEmit(ChatEvent.Session, ALICE);
    expect(socket.sent).toHaveLength(2);
    socket.serverEmit(ChatEvent.Users, [
      view(ALICE.userID, 'alice'),
      view('uBob', 'bob'),
    ]);
    const again = payloads(socket).slice(2);
    expect(again.map((p) => p.content)).toEqual(['one', 'two', 'three']);
    expect(again[0]).toEqual(one);
    expect(again[1]).toEqual(two);
    expect(again[2].clientMessageId).not.toBe(one.clientMessageId);
    expect(pendingOf(conversations, 'bob')).toEqual(['one', 'two', 'three']);

    // Another replay while they are in flight sends nothing more.
    reconnect(socket);
    expect(socket.sent).toHaveLength(5);
  });

  it('replaces the pending message with the stored one when the resend is acknowledged', async () => {
    const { socket, conversations, outbox } = signedIn();
    conversations.select('uBob');
    outbox.send('hello');
    socket.drop();
    socket.sent[0].fail(new Error('socket has been disconnected'));
    await settle();
    reconnect(socket);
    const stored = message('uAlice', 'uBob', 'hello');
    socket.sent[1].ack({ ok: true, message: stored });
    await settle();
    expect(user(conversations, 'bob').messages).toMatchObject([
      { id: stored.id, content: 'hello', pending: false, fromSelf: true },
    ]);
    expect(outbox.sendFailure()).toBeNull();
    // Settled: a later replay sends nothing again.
    reconnect(socket);
    expect(socket.sent).toHaveLength(2);
  });

  it('delivers at once, and never sends again, a send the replay shows stored (its clientMessageId)', async () => {
    const { socket, conversations, outbox } = signedIn();
    conversations.select('uBob');
    outbox.send('hello');
    const [{ clientMessageId }] = payloads(socket);
    // The server stored it, but the link dropped before its acknowledgement.
    const stored = { ...message('uAlice', 'uBob', 'hello'), clientMessageId };
    socket.drop();
    socket.sent[0].fail(new Error('socket has been disconnected'));
    await settle();
    reconnect(socket, [view('uBob', 'bob', true, [stored])]);
    // One copy at once, the stored one: no round trip, nothing sent again.
    expect(user(conversations, 'bob').messages).toMatchObject([
      { id: stored.id, content: 'hello', pending: false, fromSelf: true },
    ]);
    expect(user(conversations, 'bob').messages).toHaveLength(1);
    expect(socket.sent).toHaveLength(1);
    expect(outbox.sendFailure()).toBeNull();
    reconnect(socket, [view('uBob', 'bob', true, [stored])]);
    expect(socket.sent).toHaveLength(1);
    expect(contents(conversations, 'bob')).toEqual(['hello']);
  });

  it('ignores a late answer to a send the replay settled meanwhile', async () => {
    const { socket, conversations, outbox } = signedIn();
    conversations.select('uBob');
    outbox.send('hello');
    const [{ clientMessageId }] = payloads(socket);
    const stored = { ...message('uAlice', 'uBob', 'hello'), clientMessageId };
    // Still in flight when the replay shows it stored.
    socket.drop();
    reconnect(socket, [view('uBob', 'bob', true, [stored])]);
    expect(pendingOf(conversations, 'bob')).toEqual([]);
    socket.sent[0].fail(new Error('socket has been disconnected'));
    await settle();
    expect(outbox.sendFailure()).toBeNull();
    expect(contents(conversations, 'bob')).toEqual(['hello']);
    reconnect(socket, [view('uBob', 'bob', true, [stored])]);
    expect(socket.sent).toHaveLength(1);
  });

  it('changes nothing for a replayed message with a clientMessageId not pending here', async () => {
    const { socket, conversations, outbox } = signedIn();
    conversations.select('uBob');
    outbox.send('mine');
    const [mine] = payloads(socket);
    socket.drop();
    socket.sent[0].fail(new Error('socket has been disconnected'));
    await settle();
    // Sent from another tab of ours, with that tab's own key.
    const otherTab = {
      ...message('uAlice', 'uBob', 'from another tab'),
      clientMessageId: 'anotherTabsKey0123456',
    };
    reconnect(socket, [view('uBob', 'bob', true, [otherTab])]);
    expect(user(conversations, 'bob').messages).toMatchObject([
      { id: otherTab.id, content: 'from another tab', pending: false },
      { content: 'mine', pending: true },
    ]);
    expect(payloads(socket)).toEqual([mine, mine]);
    const stored = {
      ...message('uAlice', 'uBob', 'mine'),
      clientMessageId: mine.clientMessageId,
    };
    socket.sent[1].ack({ ok: true, message: stored });
    await settle();
    expect(contents(conversations, 'bob')).toEqual([
      'from another tab',
      'mine',
    ]);
    expect(pendingOf(conversations, 'bob')).toEqual([]);
  });

  it('sends again after a growing delay while connected, and waits new sends behind', async () => {
    jest.useFakeTimers();
    const { socket, conversations, outbox } = signedIn();
    conversations.select('uBob');
    outbox.send('first');
    socket.sent[0].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    // A new send of the conversation waits behind the one to send again.
    outbox.send('second');
    expect(socket.sent).toHaveLength(1);
    jest.advanceTimersByTime(99);
    expect(socket.sent).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(payloads(socket).map((p) => p.content)).toEqual([
      'first',
      'first',
      'second',
    ]);
    expect(payloads(socket)[1]).toEqual(payloads(socket)[0]);

    // Unanswered again: the next attempt comes after twice the delay.
    socket.sent[1].fail(new Error('operation has timed out'));
    await settle();
    jest.advanceTimersByTime(199);
    expect(socket.sent).toHaveLength(3);
    jest.advanceTimersByTime(1);
    expect(socket.sent).toHaveLength(4);
    expect(pendingOf(conversations, 'bob')).toEqual(['first', 'second']);
  });

  it('leaves sends of other conversations alone', async () => {
    const { socket, conversations, outbox } = signedIn();
    conversations.select('uBob');
    outbox.send('to bob');
    socket.sent[0].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    conversations.select('uCarol');
    outbox.send('to carol');
    expect(lastSent(socket).payload).toMatchObject({ content: 'to carol' });
  });

  it.each([
    ErrorCode.InvalidPayload,
    ErrorCode.UnknownRecipient,
    ErrorCode.TooLarge,
    ErrorCode.RateLimited,
  ])('fails at once on `%s`, never sending it again', async (code) => {
    jest.useFakeTimers();
    const { socket, conversations, outbox } = signedIn();
    conversations.select('uBob');
    outbox.send('refused');
    socket.sent[0].ack({ ok: false, error: code });
    await settle();
    expect(contents(conversations, 'bob')).toEqual(
      code === ErrorCode.RateLimited ? ['refused'] : [],
    );
    expect(outbox.sendFailure()).toMatchObject({ code, content: 'refused' });
    jest.advanceTimersByTime(10_000);
    reconnect(socket);
    expect(socket.sent).toHaveLength(1);
  });

  it('gives up after the last attempt and keeps the message, failed, for Retry', async () => {
    jest.useFakeTimers();
    const { socket, conversations, outbox } = signedIn();
    conversations.select('uBob');
    outbox.send('doomed');
    // sendMaxAttempts is 3 in these tests: one send and two more.
    socket.sent[0].fail(new Error('operation has timed out'));
    await settle();
    jest.advanceTimersByTime(100);
    socket.sent[1].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    jest.advanceTimersByTime(200);
    expect(socket.sent).toHaveLength(3);
    expect(outbox.sendFailure()).toBeNull();
    socket.sent[2].fail(new Error('operation has timed out'));
    await settle();
    expect(failedContents(conversations)).toEqual(['doomed']);
    expect(outbox.sendFailure()).toMatchObject({
      code: ErrorCode.Unavailable,
      content: 'doomed',
      to: 'uBob',
      kept: true,
    });
    jest.advanceTimersByTime(10_000);
    reconnect(socket);
    expect(socket.sent).toHaveLength(3);
  });

  it('counts attempts across reconnects', async () => {
    const { socket, conversations, outbox } = signedIn();
    conversations.select('uBob');
    outbox.send('flaky');
    for (let attempt = 0; attempt < 3; attempt++) {
      socket.drop();
      lastSent(socket).fail(new Error('socket has been disconnected'));
      await settle();
      reconnect(socket);
    }
    expect(socket.sent).toHaveLength(3);
    expect(outbox.sendFailure()?.code).toBe(ErrorCode.Unavailable);
  });

  it('gives up instead of sending again a message older than the age bound', async () => {
    jest.useFakeTimers();
    const { socket, conversations, outbox } = signedIn();
    conversations.select('uBob');
    outbox.send('stale');
    socket.drop();
    socket.sent[0].fail(new Error('socket has been disconnected'));
    await settle();
    jest.advanceTimersByTime(60_001);
    reconnect(socket);
    expect(socket.sent).toHaveLength(1);
    expect(failedContents(conversations)).toEqual(['stale']);
    expect(outbox.sendFailure()).toMatchObject({
      code: ErrorCode.Unavailable,
      content: 'stale',
    });
  });

  it('drops pending sends on logout: nothing sent again, no failure, late answers ignored', async () => {
    const { socket, connection, conversations, outbox, lastError } = signedIn();
    conversations.select('uBob');
    outbox.send('waiting');
    outbox.send('in flight');
    socket.sent[0].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    connection.logout();
    socket.sent[1].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    expect(lastError()).toBeNull();

    connection.selectUsername('alice');
    reconnect(socket);
    expect(socket.sent).toHaveLength(2);
    expect(lastError()).toBeNull();
  });

  it('drops pending sends when the server hands out a new identity', async () => {
    const { socket, conversations, outbox, lastError } = signedIn();
    conversations.select('uBob');
    outbox.send('old identity');
    socket.drop();
    socket.sent[0].fail(new Error('socket has been disconnected'));
    await settle();
    socket.connectOk();
    socket.serverEmit(ChatEvent.Session, {
      ...ALICE,
      sessionID: 'sessNew0123456789',
      userID: 'uAlice2',
    });
    socket.serverEmit(ChatEvent.Users, [view('uAlice2', 'alice')]);
    expect(socket.sent).toHaveLength(1);
    expect(lastError()).toBeNull();
  });
});

describe('OutboxStore: Retry', () => {
  async function failedSend() {
    jest.useFakeTimers();
    const chat = signedIn();
    chat.conversations.select('uBob');
    chat.outbox.send('try me');
    chat.socket.sent[0].ack({ ok: false, error: ErrorCode.RateLimited });
    await settle();
    return chat;
  }

  it('sends a failed message again with its clientMessageId; the stored copy replaces it', async () => {
    const { socket, conversations, outbox } = await failedSend();
    const failed = user(conversations, 'bob').messages[0];
    expect(failed).toMatchObject({ failed: true, pending: true });
    outbox.retry(failed);
    expect(outbox.sendFailure()).toBeNull();
    expect(user(conversations, 'bob').messages[0].failed).toBe(false);
    expect(socket.sent[1].payload).toEqual(socket.sent[0].payload);
    const { clientMessageId } = socket.sent[1].payload as {
      clientMessageId: string;
    };
    socket.sent[1].ack({
      ok: true,
      message: {
        ...message('uAlice', 'uBob', 'try me', 'm0500'),
        clientMessageId,
      },
    });
    await settle();
    expect(user(conversations, 'bob').messages).toMatchObject([
      { id: 'm0500', content: 'try me', pending: false },
    ]);
  });

  it('drops a failed message whose stored copy a replay shows (it was stored after all)', async () => {
    const { socket, conversations } = await failedSend();
    const { clientMessageId } = socket.sent[0].payload as {
      clientMessageId: string;
    };
    socket.serverEmit(ChatEvent.Users, [
      view(ALICE.userID, 'alice'),
      view('uBob', 'bob', true, [
        { ...message('uAlice', 'uBob', 'try me', 'm0501'), clientMessageId },
      ]),
    ]);
    expect(user(conversations, 'bob').messages).toMatchObject([
      { id: 'm0501', pending: false },
    ]);
  });

  it('does nothing for a message that did not fail', async () => {
    const { socket, conversations, outbox } = await failedSend();
    outbox.send('fine');
    const pending = user(conversations, 'bob').messages[1];
    outbox.retry(pending);
    expect(socket.sent).toHaveLength(2);
  });
});
