import { TestBed } from '@angular/core/testing';
import {
  ChatEvent,
  ErrorCode,
  INVALID_USERNAME,
  MESSAGE_MAX_LENGTH,
  type Message,
  type UserView,
} from '@chat/contracts';
import { CHAT_CONFIG, DEFAULT_CHAT_CONFIG } from './chat-config';
import { CHAT_SOCKET } from './chat-socket';
import { ChatStore, SESSION_ID_KEY, USERNAME_KEY } from './chat.store';
import { FakeChatSocket } from './testing/fake-chat-socket';

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
): UserView {
  return { userID, username, connected, messages };
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

/** Lets the store's `.then` on an acknowledgement run. */
async function settle(): Promise<void> {
  await Promise.resolve();
  await Promise.resolve();
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

const names = (store: ChatStore) => store.users().map((u) => u.username);
const user = (store: ChatStore, username: string) => {
  const found = store.users().find((u) => u.username === username);
  if (!found) throw new Error(`no user ${username}`);
  return found;
};
const contents = (store: ChatStore, username: string) =>
  user(store, username).messages.map((m) => m.content);

beforeEach(() => localStorage.clear());
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
    expect(socket.auth).toEqual({ username: 'alice' });
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

  it('takes the conversations replayed with `users`, marked as from self or not, without unread', () => {
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
    expect(socket.sent[0].payload).toEqual({ content: 'hi bob', to: 'uBob' });
    expect(user(store, 'bob').messages).toMatchObject([
      { content: 'hi bob', pending: true, fromSelf: true },
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

  it('reports an unanswered send (timeout or lost link) as unavailable', async () => {
    const { socket, store } = signedIn();
    store.select('uBob');
    store.send('lost');
    socket.sent[0].fail(new Error('operation has timed out'));
    await settle();
    expect(contents(store, 'bob')).toEqual([]);
    expect(store.sendFailure()?.code).toBe(ErrorCode.Unavailable);
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
