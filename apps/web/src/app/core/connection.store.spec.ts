import { ChatEvent, ErrorCode, INVALID_USERNAME } from '@chat/contracts';
import { DEFAULT_CHAT_CONFIG } from './chat-config';
import { SESSION_ID_KEY, USERNAME_KEY } from './connection.store';
import { ALICE, setup, signedIn, view } from '../testing/chat-harness';

beforeEach(() => {
  localStorage.clear();
  // Pending sends kept for a reload (see saved-sends.spec.ts) stay out of these tests.
  sessionStorage.clear();
});
afterEach(() => jest.useRealTimers());

describe('ConnectionStore: session', () => {
  it('starts on the username form without connecting when nothing is stored', () => {
    const { socket, connection } = setup();
    expect(connection.view()).toBe('select-username');
    expect(connection.connectionState()).toBe('idle');
    expect(socket.connects).toBe(0);
  });

  it('refuses an invalid username with the reason and does not connect', () => {
    const { socket, connection } = setup();
    expect(connection.selectUsername('x'.repeat(40))).toBe(false);
    expect(connection.usernameError()).toContain('32');
    expect(connection.view()).toBe('select-username');
    expect(socket.connects).toBe(0);
  });

  it('connects a valid, trimmed username and leaves the form', () => {
    const { socket, connection } = setup();
    expect(connection.selectUsername('  alice ')).toBe(true);
    // The paged directory: `users` brings self and conversations, `fetch users` the rest.
    expect(socket.auth).toEqual({ username: 'alice', directory: 'paged' });
    expect(socket.connects).toBe(1);
    expect(connection.connectionState()).toBe('connecting');
    expect(connection.view()).toBe('chat');
    expect(connection.usernameError()).toBeNull();
  });

  it('keeps the session in localStorage and in the auth of later handshakes', () => {
    const { socket, connection } = signedIn();
    expect(localStorage.getItem(SESSION_ID_KEY)).toBe(ALICE.sessionID);
    expect(localStorage.getItem(USERNAME_KEY)).toBe('alice');
    expect(socket.auth).toEqual({
      sessionID: ALICE.sessionID,
      username: 'alice',
      directory: 'paged',
    });
    expect(connection.session()).toEqual({
      userID: 'uAlice',
      username: 'alice',
    });
  });

  it('resumes a stored session at start, before any form', () => {
    const { socket, connection } = setup({
      [SESSION_ID_KEY]: ALICE.sessionID,
      [USERNAME_KEY]: 'alice',
    });
    expect(socket.connects).toBe(1);
    expect(socket.auth).toEqual({
      sessionID: ALICE.sessionID,
      username: 'alice',
      directory: 'paged',
    });
    expect(connection.view()).toBe('chat');
    expect(connection.connectionState()).toBe('connecting');
  });

  it('ignores a malformed stored session id', () => {
    const { socket, connection } = setup({
      [SESSION_ID_KEY]: 'not a session!',
    });
    expect(socket.connects).toBe(0);
    expect(connection.view()).toBe('select-username');
  });

  it('goes back to the form with the server reason when the username is refused', () => {
    const { socket, connection } = setup({ [SESSION_ID_KEY]: ALICE.sessionID });
    socket.refuse(INVALID_USERNAME, {
      reason: 'username must be at most 32 characters',
    });
    expect(connection.view()).toBe('select-username');
    expect(connection.connectionState()).toBe('idle');
    expect(connection.usernameError()).toBe(
      'username must be at most 32 characters',
    );
    expect(localStorage.getItem(SESSION_ID_KEY)).toBeNull();
    expect(socket.auth).toEqual({});
  });

  it('falls back to the guide message when the refusal has no reason', () => {
    const { socket, connection } = setup();
    connection.selectUsername('alice');
    socket.refuse(INVALID_USERNAME);
    expect(connection.usernameError()).toBe(INVALID_USERNAME);
  });

  it('goes back to the form, without retrying, when too many new users came from this address', () => {
    jest.useFakeTimers();
    const { socket, connection } = setup();
    connection.selectUsername('alice');
    const reason =
      'too many new sessions from this address, try again in a minute';
    socket.refuse(ErrorCode.RateLimited, { reason });
    expect(connection.view()).toBe('select-username');
    expect(connection.connectionState()).toBe('idle');
    expect(connection.usernameError()).toBe(reason);
    jest.advanceTimersByTime(DEFAULT_CHAT_CONFIG.maxRetryDelayMs);
    expect(socket.connects).toBe(1);
  });

  it('retries a stored session refused as rate limited (too many connections from this address)', () => {
    jest.useFakeTimers();
    const { socket, connection } = setup({ [SESSION_ID_KEY]: ALICE.sessionID });
    socket.refuse(ErrorCode.RateLimited, {
      reason: 'too many connections from this address, try again later',
    });
    expect(connection.view()).toBe('chat');
    expect(connection.connectionState()).toBe('disconnected');
    expect(localStorage.getItem(SESSION_ID_KEY)).toBe(ALICE.sessionID);
    jest.advanceTimersByTime(DEFAULT_CHAT_CONFIG.maxRetryDelayMs);
    expect(socket.connects).toBe(2);
  });

  it('forgets everything on logout', () => {
    const { socket, connection, conversations } = signedIn();
    connection.logout();
    socket.drop('io client disconnect');
    expect(socket.disconnects).toBe(1);
    expect(connection.view()).toBe('select-username');
    expect(connection.connectionState()).toBe('idle');
    expect(conversations.users()).toEqual([]);
    expect(localStorage.getItem(SESSION_ID_KEY)).toBeNull();
  });

  it('drops the old conversations when the server hands out a new identity', () => {
    const { socket, conversations } = signedIn();
    conversations.select('uBob');
    socket.serverEmit(ChatEvent.Session, {
      ...ALICE,
      sessionID: 'sessNew0123456789',
      userID: 'uAlice2',
    });
    expect(conversations.users()).toEqual([]);
    expect(conversations.selectedUser()).toBeUndefined();
    expect(localStorage.getItem(SESSION_ID_KEY)).toBe('sessNew0123456789');
  });
});

describe('ConnectionStore: connection', () => {
  it('goes connecting → connected → disconnected → connected, with self online accordingly', () => {
    const { socket, connection, conversations } = setup();
    connection.selectUsername('alice');
    expect(connection.connectionState()).toBe('connecting');
    socket.connectOk();
    socket.serverEmit(ChatEvent.Session, ALICE);
    socket.serverEmit(ChatEvent.Users, [view('uAlice', 'alice')]);
    expect(connection.connectionState()).toBe('connected');
    socket.drop();
    expect(connection.connectionState()).toBe('disconnected');
    expect(conversations.self()?.connected).toBe(false);
    expect(connection.view()).toBe('chat');
    socket.connectOk();
    expect(connection.connectionState()).toBe('connected');
    expect(conversations.self()?.connected).toBe(true);
  });

  it('stays on the chat, disconnected, while the server cannot be reached', () => {
    const { socket, connection } = setup({ [SESSION_ID_KEY]: ALICE.sessionID });
    socket.refuse('xhr poll error', undefined, false);
    expect(connection.connectionState()).toBe('disconnected');
    expect(connection.view()).toBe('chat');
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
    const { socket, connection } = setup({ [SESSION_ID_KEY]: ALICE.sessionID });
    socket.refuse('unavailable');
    connection.logout();
    jest.advanceTimersByTime(10_000);
    expect(socket.connects).toBe(1);
  });
});
