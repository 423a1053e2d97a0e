import { TestBed } from '@angular/core/testing';
import {
  ChatEvent,
  ErrorCode,
  INVALID_USERNAME,
  MESSAGE_MAX_LENGTH,
  type Message,
  type UserView,
} from '@chat/contracts';
import { CHAT_CONFIG, DEFAULT_CHAT_CONFIG } from '../core/chat-config';
import { CHAT_SOCKET } from '../core/chat-socket';
import { SESSION_ID_KEY, USERNAME_KEY } from '../core/connection.store';
import { ChatStore } from './chat.store';
import { readMarksKey } from '../read-state/read-marks';
import { SAVED_SENDS_KEY, parseSavedSends } from '../outbox/saved-sends';
import { FakeChatSocket } from '../testing/fake-chat-socket';

const ALICE = {
  sessionID: 'sessAlice0123456789',
  userID: 'uAlice',
  username: 'alice',
};

function view(
  userID: string,
  username: string,
  connected = true,
  messages: Message[] = [],
  hasMoreMessages?: boolean,
): UserView {
  return hasMoreMessages === undefined
    ? { userID, username, connected, messages }
    : { userID, username, connected, messages, hasMoreMessages };
}

let seq = 0;
function message(
  from: string,
  to: string,
  content: string,
  id = `m${String(++seq).padStart(4, '0')}`,
): Message {
  return {
    id,
    from,
    to,
    content,
    at: new Date(2024, 0, 1, 12, 0, seq).toISOString(),
  };
}

/** Lets the store's `.then` on an acknowledgement run (through a `.catch` or two). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function setup(stored: Record<string, string> = {}) {
  for (const [key, value] of Object.entries(stored))
    localStorage.setItem(key, value);
  const socket = new FakeChatSocket();
  TestBed.configureTestingModule({
    providers: [
      { provide: CHAT_SOCKET, useValue: socket },
      {
        provide: CHAT_CONFIG,
        useValue: {
          ...DEFAULT_CHAT_CONFIG,
          retryDelayMs: 100,
          maxRetryDelayMs: 400,
          sendMaxAttempts: 3,
          sendMaxAgeMs: 60_000,
        },
      },
    ],
  });
  const store = TestBed.inject(ChatStore);
  return { socket, store };
}

/** alice signs in; bob and carol (offline) are known to the server. */
function signedIn(
  users: UserView[] = [view('uBob', 'bob'), view('uCarol', 'carol', false)],
) {
  const env = setup();
  env.store.selectUsername('alice');
  env.socket.connectOk();
  env.socket.serverEmit(ChatEvent.Session, ALICE);
  env.socket.serverEmit(ChatEvent.Users, [
    view(ALICE.userID, 'alice'),
    ...users,
  ]);
  return env;
}

/**
 * The page is reloaded: a new store on the same localStorage resumes the session, and the server
 * replays `users` (self first).
 */
function reload(
  users: UserView[],
  session: typeof ALICE = ALICE,
): ReturnType<typeof setup> {
  TestBed.resetTestingModule();
  const env = setup();
  env.socket.connectOk();
  env.socket.serverEmit(ChatEvent.Session, session);
  env.socket.serverEmit(ChatEvent.Users, [
    view(session.userID, session.username),
    ...users,
  ]);
  return env;
}

const storedMarks = (userID = ALICE.userID) =>
  JSON.parse(localStorage.getItem(readMarksKey(userID)) ?? 'null');

const names = (store: ChatStore) => store.users().map((u) => u.username);
const user = (store: ChatStore, username: string) => {
  const found = store.users().find((u) => u.username === username);
  if (!found) throw new Error(`no user ${username}`);
  return found;
};
const contents = (store: ChatStore, username: string) =>
  user(store, username).messages.map((m) => m.content);

beforeEach(() => {
  localStorage.clear();
  // Pending sends kept for a reload (see saved-sends.spec.ts) stay out of these tests.
  sessionStorage.clear();
});
afterEach(() => jest.useRealTimers());

describe('ChatStore: session', () => {
  it('starts on the username form without connecting when nothing is stored', () => {
    const { socket, store } = setup();
    expect(store.view()).toBe('select-username');
    expect(store.connectionState()).toBe('idle');
    expect(socket.connects).toBe(0);
  });

  it('refuses an invalid username with the reason and does not connect', () => {
    const { socket, store } = setup();
    expect(store.selectUsername('x'.repeat(40))).toBe(false);
    expect(store.usernameError()).toContain('32');
    expect(store.view()).toBe('select-username');
    expect(socket.connects).toBe(0);
  });

  it('connects a valid, trimmed username and leaves the form', () => {
    const { socket, store } = setup();
    expect(store.selectUsername('  alice ')).toBe(true);
    // The paged directory: `users` brings self and conversations, `fetch users` the rest.
    expect(socket.auth).toEqual({ username: 'alice', directory: 'paged' });
    expect(socket.connects).toBe(1);
    expect(store.connectionState()).toBe('connecting');
    expect(store.view()).toBe('chat');
    expect(store.usernameError()).toBeNull();
  });

  it('keeps the session in localStorage and in the auth of later handshakes', () => {
    const { socket, store } = signedIn();
    expect(localStorage.getItem(SESSION_ID_KEY)).toBe(ALICE.sessionID);
    expect(localStorage.getItem(USERNAME_KEY)).toBe('alice');
    expect(socket.auth).toEqual({
      sessionID: ALICE.sessionID,
      username: 'alice',
      directory: 'paged',
    });
    expect(store.session()).toEqual({ userID: 'uAlice', username: 'alice' });
  });

  it('resumes a stored session at start, before any form', () => {
    const { socket, store } = setup({
      [SESSION_ID_KEY]: ALICE.sessionID,
      [USERNAME_KEY]: 'alice',
    });
    expect(socket.connects).toBe(1);
    expect(socket.auth).toEqual({
      sessionID: ALICE.sessionID,
      username: 'alice',
      directory: 'paged',
    });
    expect(store.view()).toBe('chat');
    expect(store.connectionState()).toBe('connecting');
  });

  it('ignores a malformed stored session id', () => {
    const { socket, store } = setup({ [SESSION_ID_KEY]: 'not a session!' });
    expect(socket.connects).toBe(0);
    expect(store.view()).toBe('select-username');
  });

  it('goes back to the form with the server reason when the username is refused', () => {
    const { socket, store } = setup({ [SESSION_ID_KEY]: ALICE.sessionID });
    socket.refuse(INVALID_USERNAME, {
      reason: 'username must be at most 32 characters',
    });
    expect(store.view()).toBe('select-username');
    expect(store.connectionState()).toBe('idle');
    expect(store.usernameError()).toBe(
      'username must be at most 32 characters',
    );
    expect(localStorage.getItem(SESSION_ID_KEY)).toBeNull();
    expect(socket.auth).toEqual({});
  });

  it('falls back to the guide message when the refusal has no reason', () => {
    const { socket, store } = setup();
    store.selectUsername('alice');
    socket.refuse(INVALID_USERNAME);
    expect(store.usernameError()).toBe(INVALID_USERNAME);
  });

  it('goes back to the form, without retrying, when too many new users came from this address', () => {
    jest.useFakeTimers();
    const { socket, store } = setup();
    store.selectUsername('alice');
    const reason =
      'too many new sessions from this address, try again in a minute';
    socket.refuse(ErrorCode.RateLimited, { reason });
    expect(store.view()).toBe('select-username');
    expect(store.connectionState()).toBe('idle');
    expect(store.usernameError()).toBe(reason);
    jest.advanceTimersByTime(DEFAULT_CHAT_CONFIG.maxRetryDelayMs);
    expect(socket.connects).toBe(1);
  });

  it('retries a stored session refused as rate limited (too many connections from this address)', () => {
    jest.useFakeTimers();
    const { socket, store } = setup({ [SESSION_ID_KEY]: ALICE.sessionID });
    socket.refuse(ErrorCode.RateLimited, {
      reason: 'too many connections from this address, try again later',
    });
    expect(store.view()).toBe('chat');
    expect(store.connectionState()).toBe('disconnected');
    expect(localStorage.getItem(SESSION_ID_KEY)).toBe(ALICE.sessionID);
    jest.advanceTimersByTime(DEFAULT_CHAT_CONFIG.maxRetryDelayMs);
    expect(socket.connects).toBe(2);
  });

  it('forgets everything on logout', () => {
    const { socket, store } = signedIn();
    store.logout();
    socket.drop('io client disconnect');
    expect(socket.disconnects).toBe(1);
    expect(store.view()).toBe('select-username');
    expect(store.connectionState()).toBe('idle');
    expect(store.users()).toEqual([]);
    expect(localStorage.getItem(SESSION_ID_KEY)).toBeNull();
  });

  it('drops the old conversations when the server hands out a new identity', () => {
    const { socket, store } = signedIn();
    store.select('uBob');
    socket.serverEmit(ChatEvent.Session, {
      ...ALICE,
      sessionID: 'sessNew0123456789',
      userID: 'uAlice2',
    });
    expect(store.users()).toEqual([]);
    expect(store.selectedUserID()).toBeNull();
    expect(localStorage.getItem(SESSION_ID_KEY)).toBe('sessNew0123456789');
  });
});

describe('ChatStore: users', () => {
  it('lists self first, then by username, and marks self', () => {
    const { store } = signedIn([
      view('uZed', 'zed'),
      view('uBob', 'bob'),
      view('uAnn', 'Ann', false),
    ]);
    expect(names(store)).toEqual(['alice', 'Ann', 'bob', 'zed']);
    expect(store.users().map((u) => u.self)).toEqual([
      true,
      false,
      false,
      false,
    ]);
    expect(store.self()?.connected).toBe(true);
  });

  it('takes the conversations replayed with `users`, marked as from self or not, unread without a mark', () => {
    const { store } = signedIn([
      view('uBob', 'bob', true, [
        message('uBob', 'uAlice', 'hi alice'),
        message('uAlice', 'uBob', 'hi bob'),
      ]),
    ]);
    expect(contents(store, 'bob')).toEqual(['hi alice', 'hi bob']);
    expect(user(store, 'bob').messages.map((m) => m.fromSelf)).toEqual([
      false,
      true,
    ]);
    // Nothing was read on this browser yet: what bob wrote (offline delivery) is news.
    expect(user(store, 'bob').hasNewMessages).toBe(true);
  });

  it('does not count own messages as unread', () => {
    const { store } = signedIn([
      view('uBob', 'bob', true, [message('uAlice', 'uBob', 'hi bob')]),
    ]);
    expect(user(store, 'bob').hasNewMessages).toBe(false);
  });

  it('adds a new user in order on `user connected`', () => {
    const { socket, store } = signedIn();
    socket.serverEmit(ChatEvent.UserConnected, view('uBen', 'ben'));
    expect(names(store)).toEqual(['alice', 'ben', 'bob', 'carol']);
  });

  it('marks a known user online again without duplicating them (nor self from another tab)', () => {
    const { socket, store } = signedIn();
    socket.serverEmit(ChatEvent.UserConnected, view('uCarol', 'carol'));
    socket.serverEmit(ChatEvent.UserConnected, view('uAlice', 'alice'));
    expect(names(store)).toEqual(['alice', 'bob', 'carol']);
    expect(user(store, 'carol').connected).toBe(true);
    expect(user(store, 'alice').self).toBe(true);
  });

  it('marks a user offline on `user disconnected`, but never self while connected', () => {
    const { socket, store } = signedIn();
    socket.serverEmit(ChatEvent.UserDisconnected, 'uBob');
    socket.serverEmit(ChatEvent.UserDisconnected, 'uAlice');
    expect(user(store, 'bob').connected).toBe(false);
    expect(user(store, 'alice').connected).toBe(true);
  });

  it('keeps unread flags across a reconnect and flags what arrived meanwhile', () => {
    const first = message('uBob', 'uAlice', 'first');
    const { socket, store } = signedIn([
      view('uBob', 'bob', true, [first]),
      view('uCarol', 'carol'),
    ]);
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uCarol', 'uAlice', 'from carol'),
    );
    socket.drop();
    socket.connectOk();
    socket.serverEmit(ChatEvent.Session, ALICE);
    socket.serverEmit(ChatEvent.Users, [
      view('uAlice', 'alice'),
      view('uBob', 'bob', true, [
        first,
        message('uBob', 'uAlice', 'while away'),
      ]),
      view('uCarol', 'carol', false),
    ]);
    expect(user(store, 'carol').hasNewMessages).toBe(true);
    expect(user(store, 'carol').connected).toBe(false);
    expect(user(store, 'bob').hasNewMessages).toBe(true);
    expect(contents(store, 'bob')).toEqual(['first', 'while away']);
    expect(contents(store, 'carol')).toEqual(['from carol']);
  });
});

describe('ChatStore: messages', () => {
  it('flags a message to a conversation not on screen, and selecting it clears the flag', () => {
    const { socket, store } = signedIn();
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uBob', 'uAlice', 'hello'),
    );
    expect(contents(store, 'bob')).toEqual(['hello']);
    expect(user(store, 'bob').hasNewMessages).toBe(true);
    store.select('uBob');
    expect(user(store, 'bob').hasNewMessages).toBe(false);
    expect(store.selectedUser()?.username).toBe('bob');
  });

  it('does not flag a message to the conversation on screen', () => {
    const { socket, store } = signedIn();
    store.select('uBob');
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uBob', 'uAlice', 'hello'),
    );
    expect(user(store, 'bob').hasNewMessages).toBe(false);
  });

  it('files a message sent from another tab of ours under its recipient, unflagged', () => {
    const { socket, store } = signedIn();
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uAlice', 'uBob', 'from my other tab'),
    );
    expect(contents(store, 'bob')).toEqual(['from my other tab']);
    expect(user(store, 'bob').messages[0].fromSelf).toBe(true);
    expect(user(store, 'bob').hasNewMessages).toBe(false);
  });

  it('keeps a message once however often it arrives', () => {
    const { socket, store } = signedIn();
    const hello = message('uBob', 'uAlice', 'hello');
    socket.serverEmit(ChatEvent.PrivateMessage, hello);
    socket.serverEmit(ChatEvent.PrivateMessage, { ...hello });
    socket.serverEmit(ChatEvent.Users, [
      view('uAlice', 'alice'),
      view('uBob', 'bob', true, [hello]),
    ]);
    expect(contents(store, 'bob')).toEqual(['hello']);
  });

  it('orders messages by id even when an older one arrives late', () => {
    const { socket, store } = signedIn();
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uBob', 'uAlice', 'second', 'm9002'),
    );
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uBob', 'uAlice', 'first', 'm9001'),
    );
    expect(contents(store, 'bob')).toEqual(['first', 'second']);
  });
});

describe('ChatStore: send', () => {
  it('shows the message at once and replaces it with the stored one on ack, exactly once', async () => {
    const { socket, store } = signedIn();
    store.select('uBob');
    expect(store.send('hi bob')).toBe(true);
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
    expect(user(store, 'bob').messages).toMatchObject([
      { content: 'hi bob', pending: true, fromSelf: true, clientMessageId },
    ]);

    const stored = message('uAlice', 'uBob', 'hi bob');
    socket.sent[0].ack({ ok: true, message: stored });
    await settle();
    expect(user(store, 'bob').messages).toMatchObject([
      { id: stored.id, pending: false, fromSelf: true },
    ]);
    // A stray echo (the server should not send one to us) is still not a duplicate.
    socket.serverEmit(ChatEvent.PrivateMessage, stored);
    expect(contents(store, 'bob')).toEqual(['hi bob']);
  });

  it('keeps pending messages after stored ones that arrive meanwhile', () => {
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('mine');
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uBob', 'uAlice', 'theirs'),
    );
    expect(contents(store, 'bob')).toEqual(['theirs', 'mine']);
  });

  it('removes a refused message and reports why, for its conversation only', async () => {
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('too fast');
    socket.sent[0].ack({ ok: false, error: ErrorCode.RateLimited });
    await settle();
    expect(contents(store, 'bob')).toEqual([]);
    expect(store.sendFailure()).toMatchObject({
      kind: 'send',
      to: 'uBob',
      content: 'too fast',
      code: ErrorCode.RateLimited,
    });
    expect(store.sendFailure()?.message).toMatch(/too many/i);
    store.select('uCarol');
    expect(store.sendFailure()).toBeNull();
    store.select('uBob');
    expect(store.sendFailure()).not.toBeNull();
    // The next send starts clean.
    store.send('again');
    expect(store.sendFailure()).toBeNull();
  });

  it('gives every send its own random clientMessageId', () => {
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('one');
    store.send('two');
    const [a, b] = socket.sent.map(
      (sent) => (sent.payload as { clientMessageId: string }).clientMessageId,
    );
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(b).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a).not.toBe(b);
  });

  it('sends nothing blank, too long, or without a selected user', () => {
    const { socket, store } = signedIn();
    expect(store.send('hello')).toBe(false);
    store.select('uBob');
    expect(store.send('   \n ')).toBe(false);
    expect(store.send('x'.repeat(MESSAGE_MAX_LENGTH + 1))).toBe(false);
    expect(store.sendFailure()?.code).toBe(ErrorCode.TooLarge);
    expect(socket.sent).toHaveLength(0);
    expect(contents(store, 'bob')).toEqual([]);
  });
});

describe('ChatStore: sends across a lost connection', () => {
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
  const pendingOf = (store: ChatStore, username: string) =>
    user(store, username)
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
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('lost');
    socket.sent[0].fail(new Error('operation has timed out'));
    await settle();
    expect(user(store, 'bob').messages).toMatchObject([
      { content: 'lost', pending: true },
    ]);
    expect(store.sendFailure()).toBeNull();
    // A server that could not store it answers `unavailable`: the same.
    store.select('uCarol');
    store.send('also');
    socket.sent[1].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    expect(pendingOf(store, 'carol')).toEqual(['also']);
    expect(store.sendFailure()).toBeNull();
    expect(store.lastError()).toBeNull();
  });

  it('sends again after the reconnect replay, once each, in order, with the same clientMessageId', async () => {
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('one');
    store.send('two');
    const [one, two] = payloads(socket);
    socket.drop();
    socket.sent[0].fail(new Error('socket has been disconnected'));
    socket.sent[1].fail(new Error('socket has been disconnected'));
    await settle();
    // Written while the link is down: shown as sending, not emitted (it would overtake the others).
    store.send('three');
    expect(socket.sent).toHaveLength(2);
    expect(pendingOf(store, 'bob')).toEqual(['one', 'two', 'three']);

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
    expect(pendingOf(store, 'bob')).toEqual(['one', 'two', 'three']);

    // Another replay while they are in flight sends nothing more.
    reconnect(socket);
    expect(socket.sent).toHaveLength(5);
  });

  it('replaces the pending message with the stored one when the resend is acknowledged', async () => {
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('hello');
    socket.drop();
    socket.sent[0].fail(new Error('socket has been disconnected'));
    await settle();
    reconnect(socket);
    const stored = message('uAlice', 'uBob', 'hello');
    socket.sent[1].ack({ ok: true, message: stored });
    await settle();
    expect(user(store, 'bob').messages).toMatchObject([
      { id: stored.id, content: 'hello', pending: false, fromSelf: true },
    ]);
    expect(store.sendFailure()).toBeNull();
    // Settled: a later replay sends nothing again.
    reconnect(socket);
    expect(socket.sent).toHaveLength(2);
  });

  it('delivers at once, and never sends again, a send the replay shows stored (its clientMessageId)', async () => {
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('hello');
    const [{ clientMessageId }] = payloads(socket);
    // The server stored it, but the link dropped before its acknowledgement.
    const stored = { ...message('uAlice', 'uBob', 'hello'), clientMessageId };
    socket.drop();
    socket.sent[0].fail(new Error('socket has been disconnected'));
    await settle();
    reconnect(socket, [view('uBob', 'bob', true, [stored])]);
    // One copy at once, the stored one: no round trip, nothing sent again.
    expect(user(store, 'bob').messages).toMatchObject([
      { id: stored.id, content: 'hello', pending: false, fromSelf: true },
    ]);
    expect(user(store, 'bob').messages).toHaveLength(1);
    expect(socket.sent).toHaveLength(1);
    expect(store.sendFailure()).toBeNull();
    reconnect(socket, [view('uBob', 'bob', true, [stored])]);
    expect(socket.sent).toHaveLength(1);
    expect(contents(store, 'bob')).toEqual(['hello']);
  });

  it('ignores a late answer to a send the replay settled meanwhile', async () => {
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('hello');
    const [{ clientMessageId }] = payloads(socket);
    const stored = { ...message('uAlice', 'uBob', 'hello'), clientMessageId };
    // Still in flight when the replay shows it stored.
    socket.drop();
    reconnect(socket, [view('uBob', 'bob', true, [stored])]);
    expect(pendingOf(store, 'bob')).toEqual([]);
    socket.sent[0].fail(new Error('socket has been disconnected'));
    await settle();
    expect(store.sendFailure()).toBeNull();
    expect(contents(store, 'bob')).toEqual(['hello']);
    reconnect(socket, [view('uBob', 'bob', true, [stored])]);
    expect(socket.sent).toHaveLength(1);
  });

  it('changes nothing for a replayed message with a clientMessageId not pending here', async () => {
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('mine');
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
    expect(user(store, 'bob').messages).toMatchObject([
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
    expect(contents(store, 'bob')).toEqual(['from another tab', 'mine']);
    expect(pendingOf(store, 'bob')).toEqual([]);
  });

  it('sends again after a growing delay while connected, and waits new sends behind', async () => {
    jest.useFakeTimers();
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('first');
    socket.sent[0].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    // A new send of the conversation waits behind the one to send again.
    store.send('second');
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
    expect(pendingOf(store, 'bob')).toEqual(['first', 'second']);
  });

  it('leaves sends of other conversations alone', async () => {
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('to bob');
    socket.sent[0].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    store.select('uCarol');
    store.send('to carol');
    expect(lastSent(socket).payload).toMatchObject({ content: 'to carol' });
  });

  it.each([
    ErrorCode.InvalidPayload,
    ErrorCode.UnknownRecipient,
    ErrorCode.TooLarge,
    ErrorCode.RateLimited,
  ])('fails at once on `%s`, never sending it again', async (code) => {
    jest.useFakeTimers();
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('refused');
    socket.sent[0].ack({ ok: false, error: code });
    await settle();
    expect(contents(store, 'bob')).toEqual([]);
    expect(store.sendFailure()).toMatchObject({ code, content: 'refused' });
    jest.advanceTimersByTime(10_000);
    reconnect(socket);
    expect(socket.sent).toHaveLength(1);
  });

  it('gives up after the last attempt and offers the content back', async () => {
    jest.useFakeTimers();
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('doomed');
    // sendMaxAttempts is 3 in these tests: one send and two more.
    socket.sent[0].fail(new Error('operation has timed out'));
    await settle();
    jest.advanceTimersByTime(100);
    socket.sent[1].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    jest.advanceTimersByTime(200);
    expect(socket.sent).toHaveLength(3);
    expect(store.sendFailure()).toBeNull();
    socket.sent[2].fail(new Error('operation has timed out'));
    await settle();
    expect(contents(store, 'bob')).toEqual([]);
    expect(store.sendFailure()).toMatchObject({
      code: ErrorCode.Unavailable,
      content: 'doomed',
      to: 'uBob',
    });
    jest.advanceTimersByTime(10_000);
    reconnect(socket);
    expect(socket.sent).toHaveLength(3);
  });

  it('counts attempts across reconnects', async () => {
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('flaky');
    for (let attempt = 0; attempt < 3; attempt++) {
      socket.drop();
      lastSent(socket).fail(new Error('socket has been disconnected'));
      await settle();
      reconnect(socket);
    }
    expect(socket.sent).toHaveLength(3);
    expect(store.sendFailure()?.code).toBe(ErrorCode.Unavailable);
  });

  it('gives up instead of sending again a message older than the age bound', async () => {
    jest.useFakeTimers();
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('stale');
    socket.drop();
    socket.sent[0].fail(new Error('socket has been disconnected'));
    await settle();
    jest.advanceTimersByTime(60_001);
    reconnect(socket);
    expect(socket.sent).toHaveLength(1);
    expect(contents(store, 'bob')).toEqual([]);
    expect(store.sendFailure()).toMatchObject({
      code: ErrorCode.Unavailable,
      content: 'stale',
    });
  });

  it('drops pending sends on logout: nothing sent again, no failure, late answers ignored', async () => {
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('waiting');
    store.send('in flight');
    socket.sent[0].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    store.logout();
    socket.sent[1].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    expect(store.lastError()).toBeNull();

    store.selectUsername('alice');
    reconnect(socket);
    expect(socket.sent).toHaveLength(2);
    expect(store.lastError()).toBeNull();
  });

  it('drops pending sends when the server hands out a new identity', async () => {
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('old identity');
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
    expect(store.lastError()).toBeNull();
  });
});

describe('ChatStore: connection', () => {
  it('goes connecting → connected → disconnected → connected, with self online accordingly', () => {
    const { socket, store } = setup();
    store.selectUsername('alice');
    expect(store.connectionState()).toBe('connecting');
    socket.connectOk();
    socket.serverEmit(ChatEvent.Session, ALICE);
    socket.serverEmit(ChatEvent.Users, [view('uAlice', 'alice')]);
    expect(store.connectionState()).toBe('connected');
    socket.drop();
    expect(store.connectionState()).toBe('disconnected');
    expect(store.self()?.connected).toBe(false);
    expect(store.view()).toBe('chat');
    socket.connectOk();
    expect(store.connectionState()).toBe('connected');
    expect(store.self()?.connected).toBe(true);
  });

  it('stays on the chat, disconnected, while the server cannot be reached', () => {
    const { socket, store } = setup({ [SESSION_ID_KEY]: ALICE.sessionID });
    socket.refuse('xhr poll error', undefined, false);
    expect(store.connectionState()).toBe('disconnected');
    expect(store.view()).toBe('chat');
    expect(localStorage.getItem(SESSION_ID_KEY)).toBe(ALICE.sessionID);
  });

  it('leaves transport retries to socket.io', () => {
    jest.useFakeTimers();
    const { socket } = setup({ [SESSION_ID_KEY]: ALICE.sessionID });
    socket.refuse('xhr poll error', undefined, false);
    jest.advanceTimersByTime(10_000);
    expect(socket.connects).toBe(1);
  });

  it('retries, with growing delays, when the server itself refused or closed the link', () => {
    jest.useFakeTimers();
    const { socket } = setup({ [SESSION_ID_KEY]: ALICE.sessionID });
    socket.refuse('unavailable');
    jest.advanceTimersByTime(99);
    expect(socket.connects).toBe(1);
    jest.advanceTimersByTime(1);
    expect(socket.connects).toBe(2);
    socket.refuse('unavailable');
    jest.advanceTimersByTime(199);
    expect(socket.connects).toBe(2);
    jest.advanceTimersByTime(1);
    expect(socket.connects).toBe(3);

    socket.connectOk();
    socket.drop('io server disconnect');
    jest.advanceTimersByTime(100);
    expect(socket.connects).toBe(4);
  });

  it('does not retry after logout', () => {
    jest.useFakeTimers();
    const { socket, store } = setup({ [SESSION_ID_KEY]: ALICE.sessionID });
    socket.refuse('unavailable');
    store.logout();
    jest.advanceTimersByTime(10_000);
    expect(socket.connects).toBe(1);
  });
});

describe('ChatStore: read marks', () => {
  const fromBob = message('uBob', 'uAlice', 'from bob', 'm0101');
  const fromCarol = message('uCarol', 'uAlice', 'from carol', 'm0102');
  const replay = (...bobs: Message[]) => [
    view('uBob', 'bob', true, [fromBob, ...bobs]),
    view('uCarol', 'carol', true, [fromCarol]),
  ];

  it('keeps the mark of a conversation opened, per identity, in localStorage', () => {
    const { store } = signedIn(replay());
    store.select('uBob');
    expect(storedMarks()).toEqual({ uBob: 'm0101' });
    expect(user(store, 'bob').hasNewMessages).toBe(false);
    expect(user(store, 'carol').hasNewMessages).toBe(true);
  });

  it('shows the same unread state after a reload', () => {
    const { store } = signedIn(replay());
    store.select('uBob');
    const again = reload(replay()).store;
    expect(again.selectedUserID()).toBeNull();
    expect(user(again, 'bob').hasNewMessages).toBe(false);
    expect(user(again, 'carol').hasNewMessages).toBe(true);
  });

  it('shows what arrived while away as unread after a reload', () => {
    const { store } = signedIn(replay());
    store.select('uBob');
    store.select('uCarol');
    const again = reload(
      replay(message('uBob', 'uAlice', 'while away', 'm0103')),
    ).store;
    expect(user(again, 'bob').hasNewMessages).toBe(true);
    expect(user(again, 'carol').hasNewMessages).toBe(false);
  });

  it('moves the mark with messages arriving in the open conversation, not in others', () => {
    const { socket, store } = signedIn(replay());
    store.select('uBob');
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uBob', 'uAlice', 'live', 'm0110'),
    );
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uCarol', 'uAlice', 'elsewhere', 'm0111'),
    );
    expect(storedMarks()).toEqual({ uBob: 'm0110' });
    const again = reload([
      view('uBob', 'bob', true, [
        fromBob,
        message('uBob', 'uAlice', 'live', 'm0110'),
      ]),
      view('uCarol', 'carol', true, [fromCarol]),
    ]).store;
    expect(user(again, 'bob').hasNewMessages).toBe(false);
    expect(user(again, 'carol').hasNewMessages).toBe(true);
  });

  it('reads a replay into the open conversation (a reconnect while it is on screen)', () => {
    const { socket, store } = signedIn(replay());
    store.select('uBob');
    socket.drop();
    socket.connectOk();
    socket.serverEmit(ChatEvent.Session, ALICE);
    socket.serverEmit(ChatEvent.Users, [
      view('uAlice', 'alice'),
      ...replay(message('uBob', 'uAlice', 'while away', 'm0120')),
    ]);
    expect(user(store, 'bob').hasNewMessages).toBe(false);
    expect(storedMarks()).toEqual({ uBob: 'm0120' });
  });

  it('leaves the mark alone for own sends, and never moves it back', async () => {
    const { socket, store } = signedIn(replay());
    store.select('uBob');
    store.send('mine');
    socket.sent[0].ack({
      ok: true,
      message: message('uAlice', 'uBob', 'mine', 'm0130'),
    });
    await settle();
    // Own messages are never unread: nothing to write for them.
    expect(storedMarks()).toEqual({ uBob: 'm0101' });
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uBob', 'uAlice', 'new', 'm0140'),
    );
    expect(storedMarks()).toEqual({ uBob: 'm0140' });
    // A message that sorts before the mark arrives late: the mark stays.
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uBob', 'uAlice', 'late', 'm0125'),
    );
    expect(storedMarks()).toEqual({ uBob: 'm0140' });
    store.select('uCarol');
    expect(user(store, 'bob').hasNewMessages).toBe(false);
  });

  it('keeps identities apart in one browser', () => {
    const { store } = signedIn(replay());
    store.select('uBob');
    const dave = {
      sessionID: 'sessDave0123456789',
      userID: 'uDave',
      username: 'dave',
    };
    // Another identity on the same browser (say another tab signed in as dave): its own marks.
    const other = reload(
      [
        view('uBob', 'bob', true, [
          message('uBob', 'uDave', 'hi dave', 'm0101'),
        ]),
      ],
      dave,
    ).store;
    expect(user(other, 'bob').hasNewMessages).toBe(true);
    other.select('uBob');
    expect(storedMarks('uDave')).toEqual({ uBob: 'm0101' });
    expect(storedMarks('uAlice')).toEqual({ uBob: 'm0101' });
  });

  it('forgets the marks on logout', () => {
    const { store } = signedIn(replay());
    store.select('uBob');
    expect(storedMarks()).not.toBeNull();
    store.logout();
    expect(storedMarks()).toBeNull();
  });

  it('forgets the marks of an identity the server replaced', () => {
    const { socket, store } = signedIn(replay());
    store.select('uBob');
    socket.serverEmit(ChatEvent.Session, {
      ...ALICE,
      sessionID: 'sessNew0123456789',
      userID: 'uAlice2',
    });
    expect(storedMarks('uAlice')).toBeNull();
  });

  it('takes marks moved on by another tab of the same identity', () => {
    const { store } = signedIn(replay());
    expect(user(store, 'carol').hasNewMessages).toBe(true);
    const newValue = JSON.stringify({ uCarol: 'm0102' });
    localStorage.setItem(readMarksKey('uAlice'), newValue);
    window.dispatchEvent(
      new StorageEvent('storage', { key: readMarksKey('uAlice'), newValue }),
    );
    expect(user(store, 'carol').hasNewMessages).toBe(false);
    // Another identity's marks, or a removal (logout elsewhere), change nothing here.
    window.dispatchEvent(
      new StorageEvent('storage', {
        key: readMarksKey('uDave'),
        newValue: JSON.stringify({ uBob: 'm0101' }),
      }),
    );
    window.dispatchEvent(
      new StorageEvent('storage', {
        key: readMarksKey('uAlice'),
        newValue: null,
      }),
    );
    expect(user(store, 'bob').hasNewMessages).toBe(true);
    expect(user(store, 'carol').hasNewMessages).toBe(false);
  });

  it('does not lose marks another tab stored meanwhile', () => {
    const { store } = signedIn(replay());
    localStorage.setItem(
      readMarksKey('uAlice'),
      JSON.stringify({ uCarol: 'm0102' }),
    );
    store.select('uBob');
    expect(storedMarks()).toEqual({ uBob: 'm0101', uCarol: 'm0102' });
  });

  it('treats unreadable stored marks as none', () => {
    localStorage.setItem(readMarksKey('uAlice'), '{not json');
    const { store } = signedIn(replay());
    expect(user(store, 'bob').hasNewMessages).toBe(true);
    store.select('uBob');
    expect(storedMarks()).toEqual({ uBob: 'm0101' });
  });
});

describe('ChatStore: older messages', () => {
  const latest = [
    message('uBob', 'uAlice', 'l1', 'm0500'),
    message('uAlice', 'uBob', 'l2', 'm0501'),
  ];
  const older = [
    message('uBob', 'uAlice', 'o1', 'm0300'),
    message('uAlice', 'uBob', 'o2', 'm0301'),
  ];
  const withHistory = () =>
    signedIn([
      view('uBob', 'bob', true, latest, true),
      view(
        'uCarol',
        'carol',
        true,
        [message('uCarol', 'uAlice', 'c', 'm0400')],
        true,
      ),
    ]);
  const fetches = (socket: FakeChatSocket) =>
    socket.sent.filter((s) => s.event === ChatEvent.FetchMessages);

  it('takes `hasMoreMessages` from the replay (absent: no more)', () => {
    const { store } = signedIn([
      view('uBob', 'bob', true, latest, true),
      view('uCarol', 'carol', true, latest),
    ]);
    expect(user(store, 'bob').hasMoreMessages).toBe(true);
    expect(user(store, 'carol').hasMoreMessages).toBe(false);
  });

  it('asks for the page before the oldest message and prepends it', async () => {
    const { socket, store } = withHistory();
    expect(store.loadOlder('uBob')).toBe(true);
    expect(fetches(socket)).toHaveLength(1);
    expect(socket.sent[0].payload).toEqual({ userID: 'uBob', before: 'm0500' });
    expect(user(store, 'bob').loadingOlder).toBe(true);

    socket.sent[0].ack({ ok: true, messages: older, hasMore: true });
    await settle();
    expect(contents(store, 'bob')).toEqual(['o1', 'o2', 'l1', 'l2']);
    expect(user(store, 'bob').messages.map((m) => m.fromSelf)).toEqual([
      false,
      true,
      false,
      true,
    ]);
    expect(user(store, 'bob').loadingOlder).toBe(false);
    expect(user(store, 'bob').hasMoreMessages).toBe(true);

    store.loadOlder('uBob');
    expect(socket.sent[1].payload).toEqual({ userID: 'uBob', before: 'm0300' });
  });

  it('keeps one request in flight per conversation', () => {
    const { socket, store } = withHistory();
    expect(store.loadOlder('uBob')).toBe(true);
    expect(store.loadOlder('uBob')).toBe(false);
    expect(store.loadOlder('uCarol')).toBe(true);
    expect(fetches(socket).map((s) => s.payload)).toEqual([
      { userID: 'uBob', before: 'm0500' },
      { userID: 'uCarol', before: 'm0400' },
    ]);
  });

  it('stops at the beginning of the conversation', async () => {
    const { socket, store } = withHistory();
    store.loadOlder('uBob');
    socket.sent[0].ack({ ok: true, messages: older, hasMore: false });
    await settle();
    expect(user(store, 'bob').hasMoreMessages).toBe(false);
    expect(store.loadOlder('uBob')).toBe(false);
    expect(fetches(socket)).toHaveLength(1);
  });

  it('ends the history on an empty page, whatever it claims', async () => {
    const { socket, store } = withHistory();
    store.loadOlder('uBob');
    socket.sent[0].ack({ ok: true, messages: [], hasMore: true });
    await settle();
    expect(user(store, 'bob').hasMoreMessages).toBe(false);
  });

  it('keeps each message once when a page overlaps what is held', async () => {
    const { socket, store } = withHistory();
    store.loadOlder('uBob');
    socket.sent[0].ack({
      ok: true,
      // Out of order and overlapping; a message of another conversation does not belong here.
      messages: [
        older[1],
        older[0],
        latest[0],
        message('uCarol', 'uAlice', 'stray', 'm0200'),
      ],
      hasMore: true,
    });
    await settle();
    expect(contents(store, 'bob')).toEqual(['o1', 'o2', 'l1', 'l2']);
  });

  it('reports a refused page, keeps what is held, and retries on the next call', async () => {
    const { socket, store } = withHistory();
    store.loadOlder('uBob');
    socket.sent[0].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    expect(user(store, 'bob')).toMatchObject({
      loadingOlder: false,
      hasMoreMessages: true,
    });
    expect(user(store, 'bob').olderError).toMatch(/could not be loaded/i);
    expect(contents(store, 'bob')).toEqual(['l1', 'l2']);

    expect(store.loadOlder('uBob')).toBe(true);
    expect(user(store, 'bob').olderError).toBeNull();
    expect(socket.sent[1].payload).toEqual({ userID: 'uBob', before: 'm0500' });
    socket.sent[1].ack({ ok: true, messages: older, hasMore: false });
    await settle();
    expect(contents(store, 'bob')).toEqual(['o1', 'o2', 'l1', 'l2']);
  });

  it('reports an unanswered request (timeout, lost link) and a rate limit', async () => {
    const { socket, store } = withHistory();
    store.loadOlder('uBob');
    socket.sent[0].fail(new Error('operation has timed out'));
    store.loadOlder('uCarol');
    socket.sent[1].ack({ ok: false, error: ErrorCode.RateLimited });
    await settle();
    expect(user(store, 'bob').olderError).toMatch(/could not be loaded/i);
    expect(user(store, 'bob').loadingOlder).toBe(false);
    expect(user(store, 'carol').olderError).toMatch(/too many/i);
  });

  it('asks nothing while the link is down, and says why', () => {
    const { socket, store } = withHistory();
    socket.drop();
    expect(store.loadOlder('uBob')).toBe(false);
    expect(fetches(socket)).toHaveLength(0);
    expect(user(store, 'bob').olderError).toMatch(/connection/i);
  });

  it('asks nothing for a conversation without older messages or unknown', () => {
    const { socket, store } = signedIn([view('uBob', 'bob', true, latest)]);
    expect(store.loadOlder('uBob')).toBe(false);
    expect(store.loadOlder('uNobody')).toBe(false);
    expect(fetches(socket)).toHaveLength(0);
  });

  it('keeps loaded pages through a reconnect replay, merged by id', async () => {
    const { socket, store } = withHistory();
    store.loadOlder('uBob');
    socket.sent[0].ack({ ok: true, messages: older, hasMore: false });
    await settle();
    socket.drop();
    socket.connectOk();
    socket.serverEmit(ChatEvent.Session, ALICE);
    socket.serverEmit(ChatEvent.Users, [
      view('uAlice', 'alice'),
      view(
        'uBob',
        'bob',
        true,
        [...latest, message('uBob', 'uAlice', 'l3', 'm0502')],
        true,
      ),
    ]);
    expect(contents(store, 'bob')).toEqual(['o1', 'o2', 'l1', 'l2', 'l3']);
    // The replay's "more" is about what we already hold: the history still starts at o1.
    expect(user(store, 'bob').hasMoreMessages).toBe(false);
  });

  it('keeps a pending send and an unanswered request through a replay', async () => {
    const { socket, store } = withHistory();
    store.select('uBob');
    store.send('pending');
    store.loadOlder('uBob');
    socket.serverEmit(ChatEvent.Users, [
      view('uAlice', 'alice'),
      view('uBob', 'bob', true, latest, true),
    ]);
    expect(contents(store, 'bob')).toEqual(['l1', 'l2', 'pending']);
    expect(user(store, 'bob').loadingOlder).toBe(true);
    const fetch = fetches(socket)[0];
    fetch.ack({ ok: true, messages: older, hasMore: true });
    await settle();
    expect(contents(store, 'bob')).toEqual(['o1', 'o2', 'l1', 'l2', 'pending']);
  });

  it('starts over from a replay that may leave a hole, and drops a page that no longer joins', async () => {
    const { socket, store } = withHistory();
    store.loadOlder('uBob');
    // Many messages while away: the replay's oldest is newer than anything held.
    socket.serverEmit(ChatEvent.Users, [
      view('uAlice', 'alice'),
      view(
        'uBob',
        'bob',
        true,
        [
          message('uBob', 'uAlice', 'n1', 'm0900'),
          message('uBob', 'uAlice', 'n2', 'm0901'),
        ],
        true,
      ),
    ]);
    expect(contents(store, 'bob')).toEqual(['n1', 'n2']);
    expect(user(store, 'bob').hasMoreMessages).toBe(true);
    socket.sent[0].ack({ ok: true, messages: older, hasMore: false });
    await settle();
    expect(contents(store, 'bob')).toEqual(['n1', 'n2']);
    expect(user(store, 'bob')).toMatchObject({
      loadingOlder: false,
      hasMoreMessages: true,
    });
    store.loadOlder('uBob');
    expect(socket.sent[1].payload).toEqual({ userID: 'uBob', before: 'm0900' });
  });

  it('ignores an answer that comes after logout', async () => {
    const { socket, store } = withHistory();
    store.loadOlder('uBob');
    store.logout();
    socket.sent[0].ack({ ok: true, messages: older, hasMore: false });
    await settle();
    expect(store.users()).toEqual([]);
  });

  it('does not make a read conversation unread with older messages', async () => {
    const { socket, store } = withHistory();
    store.select('uBob');
    store.select('uCarol');
    store.loadOlder('uBob');
    socket.sent[0].ack({ ok: true, messages: older, hasMore: true });
    await settle();
    expect(user(store, 'bob').hasNewMessages).toBe(false);
  });
});

describe('ChatStore: directory', () => {
  /** Users by name; bob is the one of the conversation. */
  const page = (...names: string[]) =>
    names.map((name) => view(name === 'bob' ? 'uBob' : `u${name}`, name));
  const fetched = (socket: FakeChatSocket) =>
    socket.userFetches.map((f) => f.payload);
  const answer = (
    socket: FakeChatSocket,
    index: number,
    users: UserView[],
    next?: string,
  ) =>
    socket.userFetches[index].ack(
      next === undefined ? { ok: true, users } : { ok: true, users, next },
    );
  /** alice, with a conversation with bob, and the first page answered (`next` c1). */
  async function withFirstPage(next: string | null = 'c1') {
    const env = signedIn([
      view('uBob', 'bob', true, [message('uBob', 'uAlice', 'hi alice')]),
    ]);
    answer(env.socket, 0, page('ann', 'bob', 'dan'), next ?? undefined);
    await settle();
    return env;
  }

  it('asks for the first page once `users` came, and lists it by name with the conversations', async () => {
    const { socket, store } = signedIn([view('uBob', 'bob')]);
    expect(fetched(socket)).toEqual([{}]);
    expect(store.directory()).toEqual({
      searching: false,
      more: true,
      loading: true,
      error: null,
    });
    answer(socket, 0, [view('uAnn', 'Ann', false), view('uBob', 'bob')], 'c1');
    await settle();
    expect(names(store)).toEqual(['alice', 'Ann', 'bob']);
    expect(user(store, 'Ann').connected).toBe(false);
    expect(store.directory()).toEqual({
      searching: false,
      more: true,
      loading: false,
      error: null,
    });
  });

  it('loads the following pages by cursor, one request at a time, until a page without `next`', async () => {
    const { socket, store } = await withFirstPage();
    store.loadMoreUsers();
    store.loadMoreUsers();
    expect(fetched(socket)).toEqual([{}, { after: 'c1' }]);
    expect(store.directory().loading).toBe(true);
    answer(socket, 1, page('eve', 'fay'));
    await settle();
    expect(names(store)).toEqual(['alice', 'ann', 'bob', 'dan', 'eve', 'fay']);
    expect(store.directory()).toMatchObject({ more: false, loading: false });
    store.loadMoreUsers();
    expect(fetched(socket)).toHaveLength(2);
  });

  it('ends on an empty page, whatever it claims', async () => {
    const { socket, store } = await withFirstPage();
    store.loadMoreUsers();
    answer(socket, 1, [], 'c2');
    await settle();
    expect(store.directory().more).toBe(false);
  });

  it('never wipes the conversation or unread state of a user it lists again', async () => {
    const { store } = await withFirstPage();
    expect(contents(store, 'bob')).toEqual(['hi alice']);
    expect(user(store, 'bob').hasNewMessages).toBe(true);
    expect(names(store).filter((n) => n === 'bob')).toHaveLength(1);
  });

  it('keeps a presence event that overtook the answer, and takes the answer over older events', async () => {
    const { socket, store } = await withFirstPage();
    // Before the request: the answer is newer (fay is not known yet, so she is not listed).
    socket.serverEmit(ChatEvent.UserDisconnected, 'ufay');
    expect(names(store)).not.toContain('fay');
    store.loadMoreUsers();
    // After it: the events are newer than the answer.
    socket.serverEmit(ChatEvent.UserDisconnected, 'ueve');
    socket.serverEmit(ChatEvent.UserConnected, view('ugus', 'gus'));
    answer(socket, 1, [
      view('ueve', 'eve', true),
      view('ufay', 'fay', true),
      view('ugus', 'gus', false),
    ]);
    await settle();
    expect(user(store, 'eve').connected).toBe(false);
    expect(user(store, 'fay').connected).toBe(true);
    expect(user(store, 'gus').connected).toBe(true);
  });

  it('reports a failed page and asks for it again on the next call', async () => {
    const { socket, store } = await withFirstPage();
    store.loadMoreUsers();
    socket.userFetches[1].ack({ ok: false, error: ErrorCode.RateLimited });
    await settle();
    expect(store.directory()).toEqual({
      searching: false,
      more: true,
      loading: false,
      error: 'Users could not be loaded.',
    });
    store.loadMoreUsers();
    expect(store.directory()).toMatchObject({ loading: true, error: null });
    socket.userFetches[2].fail(new Error('operation has timed out'));
    await settle();
    expect(store.directory().error).not.toBeNull();
    store.loadMoreUsers();
    expect(fetched(socket)).toEqual([
      {},
      { after: 'c1' },
      { after: 'c1' },
      { after: 'c1' },
    ]);
    answer(socket, 3, page('eve'));
    await settle();
    expect(names(store)).toContain('eve');
    expect(store.directory().error).toBeNull();
  });

  it('starts again from the first page on reconnect, and ignores answers of before', async () => {
    const { socket, store } = await withFirstPage();
    store.loadMoreUsers();
    socket.drop();
    socket.connectOk();
    socket.serverEmit(ChatEvent.Session, ALICE);
    socket.serverEmit(ChatEvent.Users, [
      view('uAlice', 'alice'),
      view('uBob', 'bob', false),
    ]);
    expect(names(store)).toEqual(['alice', 'bob']);
    expect(fetched(socket)).toEqual([{}, { after: 'c1' }, {}]);
    answer(socket, 1, page('eve'));
    await settle();
    expect(names(store)).toEqual(['alice', 'bob']);
    expect(store.directory().loading).toBe(true);
    answer(socket, 2, page('ann', 'bob'), 'c9');
    await settle();
    expect(names(store)).toEqual(['alice', 'ann', 'bob']);
    expect(contents(store, 'bob')).toEqual(['hi alice']);
    store.loadMoreUsers();
    expect(fetched(socket)[3]).toEqual({ after: 'c9' });
  });

  it('keeps the conversation on screen through a restart, and looks it up again', async () => {
    const { socket, store } = await withFirstPage();
    store.select('udan');
    socket.serverEmit(ChatEvent.Users, [
      view('uAlice', 'alice'),
      view('uBob', 'bob'),
    ]);
    expect(names(store)).toEqual(['alice', 'bob', 'dan']);
    expect(store.selectedUser()?.username).toBe('dan');
    expect(fetched(socket).slice(1)).toEqual([{}, { userIDs: ['udan'] }]);
  });

  it('adds users on `user connected` while the whole directory fits in the first page', async () => {
    const { socket, store } = await withFirstPage(null);
    expect(store.directory().more).toBe(false);
    socket.serverEmit(ChatEvent.UserConnected, view('uben', 'ben'));
    expect(names(store)).toEqual(['alice', 'ann', 'ben', 'bob', 'dan']);
  });

  it('does not list a user of an unread page on `user connected`', async () => {
    const { socket, store } = await withFirstPage();
    socket.serverEmit(ChatEvent.UserConnected, view('uzed', 'zed'));
    expect(names(store)).not.toContain('zed');
  });

  it('ignores answers that come after logout', async () => {
    const { socket, store } = signedIn();
    store.logout();
    answer(socket, 0, page('ann'));
    await settle();
    expect(store.users()).toEqual([]);
    expect(store.directory().loading).toBe(false);
  });
});

describe('ChatStore: user search', () => {
  const fetched = (socket: FakeChatSocket) =>
    socket.userFetches.map((f) => f.payload);
  const visible = (store: ChatStore) =>
    store.visibleUsers().map((u) => u.username);

  async function searching() {
    jest.useFakeTimers();
    const env = signedIn([
      view('uBob', 'bob', true, [message('uBob', 'uAlice', 'hi alice')]),
    ]);
    env.socket.userFetches[0].ack({
      ok: true,
      users: [view('uann', 'ann'), view('uBob', 'bob')],
      next: 'c1',
    });
    await settle();
    return env;
  }

  it('shows local matches at once and asks the server once typing pauses', async () => {
    const { socket, store } = await searching();
    store.searchUsers('B');
    expect(store.searchText()).toBe('B');
    expect(visible(store)).toEqual(['bob']);
    expect(store.directory()).toMatchObject({ searching: true, loading: true });
    jest.advanceTimersByTime(199);
    store.searchUsers('Be ');
    store.searchUsers('B');
    jest.advanceTimersByTime(199);
    expect(fetched(socket)).toEqual([{}]);
    jest.advanceTimersByTime(1);
    expect(fetched(socket)).toEqual([{}, { query: 'B' }]);

    socket.userFetches[1].ack({
      ok: true,
      users: [view('ubea', 'bea', false), view('uBob', 'bob')],
      next: 'b1',
    });
    await settle();
    expect(visible(store)).toEqual(['bea', 'bob']);
    expect(store.directory()).toEqual({
      searching: true,
      more: true,
      loading: false,
      error: null,
    });
    // Found, not listed: the list itself is unchanged.
    expect(names(store)).toEqual(['alice', 'ann', 'bob']);

    store.loadMoreUsers();
    expect(fetched(socket)[2]).toEqual({ query: 'B', after: 'b1' });
    socket.userFetches[2].ack({ ok: true, users: [view('ubud', 'bud')] });
    await settle();
    expect(visible(store)).toEqual(['bea', 'bob', 'bud']);
    expect(store.directory()).toMatchObject({ more: false });

    store.searchUsers('  ');
    expect(visible(store)).toEqual(['alice', 'ann', 'bob']);
    expect(store.directory()).toMatchObject({ searching: false, more: true });
  });

  it('ignores the answer to an older search and keeps one page request in flight', async () => {
    const { socket, store } = await searching();
    store.searchUsers('a');
    jest.advanceTimersByTime(200);
    store.searchUsers('al');
    jest.advanceTimersByTime(200);
    expect(fetched(socket)).toEqual([{}, { query: 'a' }]);
    socket.userFetches[1].ack({ ok: true, users: [view('uadam', 'adam')] });
    await settle();
    expect(visible(store)).toEqual(['alice']);
    expect(fetched(socket)).toEqual([{}, { query: 'a' }, { query: 'al' }]);
    socket.userFetches[2].ack({ ok: true, users: [view('ualex', 'alex')] });
    await settle();
    expect(visible(store)).toEqual(['alice', 'alex']);
    expect(store.directory()).toMatchObject({ loading: false, more: false });
  });

  it('lets a page of the directory wait behind a search, and a search behind it', async () => {
    const { socket, store } = await searching();
    store.loadMoreUsers();
    store.searchUsers('z');
    jest.advanceTimersByTime(200);
    expect(fetched(socket)).toEqual([{}, { after: 'c1' }]);
    socket.userFetches[1].ack({ ok: true, users: [view('ucat', 'cat')] });
    await settle();
    expect(fetched(socket)[2]).toEqual({ query: 'z' });
  });

  it('retries a failed search page', async () => {
    const { socket, store } = await searching();
    store.searchUsers('z');
    jest.advanceTimersByTime(200);
    socket.userFetches[1].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    expect(store.directory()).toMatchObject({
      searching: true,
      loading: false,
      error: 'Users could not be loaded.',
    });
    store.loadMoreUsers();
    expect(fetched(socket)[2]).toEqual({ query: 'z' });
  });

  it('lists a found user once selected, also after the search is cleared', async () => {
    const { socket, store } = await searching();
    store.searchUsers('be');
    jest.advanceTimersByTime(200);
    socket.userFetches[1].ack({ ok: true, users: [view('ubea', 'bea')] });
    await settle();
    store.select('ubea');
    store.searchUsers('');
    expect(names(store)).toEqual(['alice', 'ann', 'bea', 'bob']);
    expect(store.selectedUser()?.username).toBe('bea');
  });

  it('asks nothing for a text longer than any name', async () => {
    const { socket, store } = await searching();
    store.searchUsers('x'.repeat(40));
    jest.advanceTimersByTime(200);
    expect(fetched(socket)).toEqual([{}]);
    expect(store.directory()).toMatchObject({ more: false, loading: false });
  });

  it('searches again after a reconnect', async () => {
    const { socket, store } = await searching();
    store.searchUsers('b');
    jest.advanceTimersByTime(200);
    socket.serverEmit(ChatEvent.Users, [
      view('uAlice', 'alice'),
      view('uBob', 'bob'),
    ]);
    expect(fetched(socket)).toEqual([{}, { query: 'b' }, { query: 'b' }]);
  });
});

describe('ChatStore: unknown senders', () => {
  async function withPage() {
    const env = signedIn([]);
    env.socket.userFetches[0].ack({ ok: true, users: [], next: 'c1' });
    await settle();
    return env;
  }
  const byID = (store: ChatStore, userID: string) =>
    store.users().find((u) => u.userID === userID);

  it('shows a message from someone not listed under a stand-in, then under their name', async () => {
    const { socket, store } = await withPage();
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uZoe', 'uAlice', 'hello?'),
    );
    expect(byID(store, 'uZoe')).toMatchObject({
      placeholder: true,
      hasNewMessages: true,
    });
    expect(byID(store, 'uZoe')?.messages.map((m) => m.content)).toEqual([
      'hello?',
    ]);
    expect(socket.userFetches[1].payload).toEqual({ userIDs: ['uZoe'] });
    // A second message meanwhile asks nothing more.
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uZoe', 'uAlice', 'anyone?'),
    );
    expect(socket.userFetches).toHaveLength(2);

    socket.userFetches[1].ack({ ok: true, users: [view('uZoe', 'zoe')] });
    await settle();
    expect(user(store, 'zoe')).toMatchObject({
      placeholder: false,
      connected: true,
      hasNewMessages: true,
    });
    expect(contents(store, 'zoe')).toEqual(['hello?', 'anyone?']);
  });

  it('lists a found user who writes', async () => {
    jest.useFakeTimers();
    const { socket, store } = await withPage();
    store.searchUsers('zo');
    jest.advanceTimersByTime(200);
    socket.userFetches[1].ack({ ok: true, users: [view('uZoe', 'zoe')] });
    await settle();
    expect(names(store)).toEqual(['alice']);
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uZoe', 'uAlice', 'hi'),
    );
    expect(names(store)).toEqual(['alice', 'zoe']);
    expect(socket.userFetches).toHaveLength(2);
  });

  it('retries a failed look-up after a growing delay', async () => {
    jest.useFakeTimers();
    const { socket } = await withPage();
    socket.serverEmit(ChatEvent.PrivateMessage, message('uZoe', 'uAlice', 'x'));
    socket.userFetches[1].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    jest.advanceTimersByTime(99);
    expect(socket.userFetches).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(socket.userFetches[2].payload).toEqual({ userIDs: ['uZoe'] });
    socket.userFetches[2].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    jest.advanceTimersByTime(199);
    expect(socket.userFetches).toHaveLength(3);
    jest.advanceTimersByTime(1);
    expect(socket.userFetches).toHaveLength(4);
  });
});

describe('ChatStore: forgotten users', () => {
  const fromBob = message('uBob', 'uAlice', 'from bob', 'm0901');
  const fromCarol = message('uCarol', 'uAlice', 'from carol', 'm0902');
  /** alice, with conversations with bob and carol (both online). */
  const withConversations = () =>
    signedIn([
      view('uBob', 'bob', true, [fromBob]),
      view('uCarol', 'carol', true, [fromCarol]),
    ]);
  const forget = (socket: FakeChatSocket, userID: string) =>
    socket.serverEmit(ChatEvent.UserForgotten, { userID });
  const visible = (store: ChatStore) =>
    store.visibleUsers().map((u) => u.username);
  const contentsSent = (socket: FakeChatSocket) =>
    socket.sent.map((sent) => (sent.payload as { content: string }).content);

  it('removes the user from the list and the search results, also from answers read before the event', async () => {
    jest.useFakeTimers();
    const { socket, store } = withConversations();
    socket.userFetches[0].ack({
      ok: true,
      users: [view('uann', 'ann'), view('uBob', 'bob')],
      next: 'c1',
    });
    await settle();
    expect(names(store)).toEqual(['alice', 'ann', 'bob', 'carol']);
    // The next page is on its way: the server read it before the deletions.
    store.loadMoreUsers();
    forget(socket, 'uBob');
    forget(socket, 'uann');
    forget(socket, 'ueve');
    expect(names(store)).toEqual(['alice', 'carol']);
    socket.userFetches[1].ack({
      ok: true,
      users: [view('ueve', 'eve'), view('udan', 'dan')],
    });
    await settle();
    expect(names(store)).toEqual(['alice', 'carol', 'dan']);

    store.searchUsers('a');
    jest.advanceTimersByTime(200);
    socket.userFetches[2].ack({
      ok: true,
      users: [view('uabe', 'abe'), view('uamy', 'amy')],
    });
    await settle();
    expect(visible(store)).toEqual(['alice', 'abe', 'amy']);
    forget(socket, 'uabe');
    expect(visible(store)).toEqual(['alice', 'amy']);
    store.searchUsers('');
    expect(visible(store)).toEqual(['alice', 'carol', 'dan']);
  });

  it('leaves nothing selected when the forgotten user was on screen', async () => {
    const { socket, store } = withConversations();
    store.select('uBob');
    store.send('too fast');
    socket.sent[0].ack({ ok: false, error: ErrorCode.RateLimited });
    await settle();
    expect(store.sendFailure()).not.toBeNull();
    forget(socket, 'uBob');
    expect(store.selectedUserID()).toBeNull();
    expect(store.selectedUser()).toBeUndefined();
    expect(store.sendFailure()).toBeNull();
    expect(store.lastError()).toBeNull();
    expect(store.send('anyone?')).toBe(false);
  });

  it('drops a conversation whose user was forgotten while we were away: the look-up after the replay leaves them out', async () => {
    const { socket, store } = withConversations();
    store.select('uBob');
    // The replay after a lost link no longer has bob: the server forgot him meanwhile.
    socket.serverEmit(ChatEvent.Users, [
      view(ALICE.userID, 'alice'),
      view('uCarol', 'carol', true, [fromCarol]),
    ]);
    expect(names(store)).toEqual(['alice', 'bob', 'carol']);
    const lookUp = socket.userFetches.find(
      (fetch) => 'userIDs' in (fetch.payload as object),
    );
    expect(lookUp?.payload).toEqual({ userIDs: ['uBob'] });
    lookUp?.ack({ ok: true, users: [] });
    await settle();
    expect(names(store)).toEqual(['alice', 'carol']);
    expect(store.selectedUserID()).toBeNull();
  });

  it('keeps the conversation on screen when another user is forgotten', () => {
    const { socket, store } = withConversations();
    store.select('uCarol');
    forget(socket, 'uBob');
    expect(store.selectedUserID()).toBe('uCarol');
    expect(store.selectedUser()?.username).toBe('carol');
    expect(store.selectedUser()?.messages.map((m) => m.content)).toEqual([
      'from carol',
    ]);
  });

  it('drops the read mark of the forgotten user from localStorage, keeping the others', () => {
    const { socket, store } = withConversations();
    store.select('uBob');
    store.select('uCarol');
    // Stored by another tab of ours meanwhile: it stays.
    localStorage.setItem(
      readMarksKey('uAlice'),
      JSON.stringify({ uBob: 'm0901', uCarol: 'm0902', uDan: 'm0903' }),
    );
    forget(socket, 'uBob');
    expect(storedMarks()).toEqual({ uCarol: 'm0902', uDan: 'm0903' });
    expect(user(store, 'carol').hasNewMessages).toBe(false);
  });

  it('drops pending sends to the forgotten user: never sent again, no failure, late answers ignored', async () => {
    jest.useFakeTimers();
    const { socket, store } = withConversations();
    store.select('uBob');
    store.send('waiting');
    store.send('in flight');
    socket.sent[0].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    store.select('uCarol');
    store.send('to carol');
    socket.sent[2].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();

    forget(socket, 'uBob');
    expect(
      parseSavedSends(sessionStorage.getItem(SAVED_SENDS_KEY))?.sends.map(
        (send) => send.content,
      ),
    ).toEqual(['to carol']);
    socket.sent[1].ack({ ok: false, error: ErrorCode.UnknownRecipient });
    await settle();
    expect(store.lastError()).toBeNull();

    // Neither the retry timer nor the replay after a reconnect sends them again.
    jest.advanceTimersByTime(100);
    expect(contentsSent(socket).slice(3)).toEqual(['to carol']);
    socket.drop();
    socket.sent[3].fail(new Error('socket has been disconnected'));
    await settle();
    socket.connectOk();
    socket.serverEmit(ChatEvent.Session, ALICE);
    socket.serverEmit(ChatEvent.Users, [
      view('uAlice', 'alice'),
      view('uCarol', 'carol', true, [fromCarol]),
    ]);
    expect(contentsSent(socket).slice(4)).toEqual(['to carol']);
    expect(names(store)).toEqual(['alice', 'carol']);
    expect(store.lastError()).toBeNull();
  });

  it('ignores the event for our own userID', () => {
    const { socket, store } = withConversations();
    store.select('uBob');
    forget(socket, ALICE.userID);
    expect(names(store)).toEqual(['alice', 'bob', 'carol']);
    expect(store.self()).toMatchObject({ userID: 'uAlice', connected: true });
    expect(store.session()).toEqual({ userID: 'uAlice', username: 'alice' });
    expect(storedMarks()).toEqual({ uBob: 'm0901' });
    expect(localStorage.getItem(SESSION_ID_KEY)).toBe(ALICE.sessionID);
  });

  it('changes nothing for a userID it does not know', () => {
    const { socket, store } = withConversations();
    store.select('uBob');
    store.send('pending');
    const users = store.users();
    forget(socket, 'uNobody');
    expect(store.users()).toBe(users);
    expect(store.selectedUserID()).toBe('uBob');
    expect(storedMarks()).toEqual({ uBob: 'm0901' });
    expect(
      user(store, 'bob')
        .messages.filter((m) => m.pending)
        .map((m) => m.content),
    ).toEqual(['pending']);
  });
});
