import { ChatEvent, ErrorCode } from '@chat/contracts';
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

describe('ConversationsStore: replay', () => {
  it('takes the conversations replayed with `users`, marked as from self or not, unread without a mark', () => {
    const { conversations } = signedIn([
      view('uBob', 'bob', true, [
        message('uBob', 'uAlice', 'hi alice'),
        message('uAlice', 'uBob', 'hi bob'),
      ]),
    ]);
    expect(contents(conversations, 'bob')).toEqual(['hi alice', 'hi bob']);
    expect(user(conversations, 'bob').messages.map((m) => m.fromSelf)).toEqual([
      false,
      true,
    ]);
    // Nothing was read on this browser yet: what bob wrote (offline delivery) is news.
    expect(user(conversations, 'bob').hasNewMessages).toBe(true);
  });

  it('keeps unread flags across a reconnect and flags what arrived meanwhile', () => {
    const first = message('uBob', 'uAlice', 'first');
    const { socket, conversations } = signedIn([
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
    expect(user(conversations, 'carol').hasNewMessages).toBe(true);
    expect(user(conversations, 'carol').connected).toBe(false);
    expect(user(conversations, 'bob').hasNewMessages).toBe(true);
    expect(contents(conversations, 'bob')).toEqual(['first', 'while away']);
    expect(contents(conversations, 'carol')).toEqual(['from carol']);
  });
});

describe('ConversationsStore: messages', () => {
  it('flags a message to a conversation not on screen, and selecting it clears the flag', () => {
    const { socket, conversations } = signedIn();
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uBob', 'uAlice', 'hello'),
    );
    expect(contents(conversations, 'bob')).toEqual(['hello']);
    expect(user(conversations, 'bob').hasNewMessages).toBe(true);
    conversations.select('uBob');
    expect(user(conversations, 'bob').hasNewMessages).toBe(false);
    expect(conversations.selectedUser()?.username).toBe('bob');
  });

  it('does not flag a message to the conversation on screen', () => {
    const { socket, conversations } = signedIn();
    conversations.select('uBob');
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uBob', 'uAlice', 'hello'),
    );
    expect(user(conversations, 'bob').hasNewMessages).toBe(false);
  });

  it('files a message sent from another tab of ours under its recipient, unflagged', () => {
    const { socket, conversations } = signedIn();
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uAlice', 'uBob', 'from my other tab'),
    );
    expect(contents(conversations, 'bob')).toEqual(['from my other tab']);
    expect(user(conversations, 'bob').messages[0].fromSelf).toBe(true);
    expect(user(conversations, 'bob').hasNewMessages).toBe(false);
  });

  it('keeps a message once however often it arrives', () => {
    const { socket, conversations } = signedIn();
    const hello = message('uBob', 'uAlice', 'hello');
    socket.serverEmit(ChatEvent.PrivateMessage, hello);
    socket.serverEmit(ChatEvent.PrivateMessage, { ...hello });
    socket.serverEmit(ChatEvent.Users, [
      view('uAlice', 'alice'),
      view('uBob', 'bob', true, [hello]),
    ]);
    expect(contents(conversations, 'bob')).toEqual(['hello']);
  });

  it('orders messages by id even when an older one arrives late', () => {
    const { socket, conversations } = signedIn();
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uBob', 'uAlice', 'second', 'm9002'),
    );
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uBob', 'uAlice', 'first', 'm9001'),
    );
    expect(contents(conversations, 'bob')).toEqual(['first', 'second']);
  });
});

describe('ConversationsStore: older messages', () => {
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
    const { conversations } = signedIn([
      view('uBob', 'bob', true, latest, true),
      view('uCarol', 'carol', true, latest),
    ]);
    expect(user(conversations, 'bob').hasMoreMessages).toBe(true);
    expect(user(conversations, 'carol').hasMoreMessages).toBe(false);
  });

  it('asks for the page before the oldest message and prepends it', async () => {
    const { socket, conversations } = withHistory();
    expect(conversations.loadOlder('uBob')).toBe(true);
    expect(fetches(socket)).toHaveLength(1);
    expect(socket.sent[0].payload).toEqual({ userID: 'uBob', before: 'm0500' });
    expect(user(conversations, 'bob').loadingOlder).toBe(true);

    socket.sent[0].ack({ ok: true, messages: older, hasMore: true });
    await settle();
    expect(contents(conversations, 'bob')).toEqual(['o1', 'o2', 'l1', 'l2']);
    expect(user(conversations, 'bob').messages.map((m) => m.fromSelf)).toEqual([
      false,
      true,
      false,
      true,
    ]);
    expect(user(conversations, 'bob').loadingOlder).toBe(false);
    expect(user(conversations, 'bob').hasMoreMessages).toBe(true);

    conversations.loadOlder('uBob');
    expect(socket.sent[1].payload).toEqual({ userID: 'uBob', before: 'm0300' });
  });

  it('keeps one request in flight per conversation', () => {
    const { socket, conversations } = withHistory();
    expect(conversations.loadOlder('uBob')).toBe(true);
    expect(conversations.loadOlder('uBob')).toBe(false);
    expect(conversations.loadOlder('uCarol')).toBe(true);
    expect(fetches(socket).map((s) => s.payload)).toEqual([
      { userID: 'uBob', before: 'm0500' },
      { userID: 'uCarol', before: 'm0400' },
    ]);
  });

  it('stops at the beginning of the conversation', async () => {
    const { socket, conversations } = withHistory();
    conversations.loadOlder('uBob');
    socket.sent[0].ack({ ok: true, messages: older, hasMore: false });
    await settle();
    expect(user(conversations, 'bob').hasMoreMessages).toBe(false);
    expect(conversations.loadOlder('uBob')).toBe(false);
    expect(fetches(socket)).toHaveLength(1);
  });

  it('ends the history on an empty page, whatever it claims', async () => {
    const { socket, conversations } = withHistory();
    conversations.loadOlder('uBob');
    socket.sent[0].ack({ ok: true, messages: [], hasMore: true });
    await settle();
    expect(user(conversations, 'bob').hasMoreMessages).toBe(false);
  });

  it('keeps each message once when a page overlaps what is held', async () => {
    const { socket, conversations } = withHistory();
    conversations.loadOlder('uBob');
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
    expect(contents(conversations, 'bob')).toEqual(['o1', 'o2', 'l1', 'l2']);
  });

  it('reports a refused page, keeps what is held, and retries on the next call', async () => {
    const { socket, conversations } = withHistory();
    conversations.loadOlder('uBob');
    socket.sent[0].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    expect(user(conversations, 'bob')).toMatchObject({
      loadingOlder: false,
      hasMoreMessages: true,
    });
    expect(user(conversations, 'bob').olderError).toMatch(
      /could not be loaded/i,
    );
    expect(contents(conversations, 'bob')).toEqual(['l1', 'l2']);

    expect(conversations.loadOlder('uBob')).toBe(true);
    expect(user(conversations, 'bob').olderError).toBeNull();
    expect(socket.sent[1].payload).toEqual({ userID: 'uBob', before: 'm0500' });
    socket.sent[1].ack({ ok: true, messages: older, hasMore: false });
    await settle();
    expect(contents(conversations, 'bob')).toEqual(['o1', 'o2', 'l1', 'l2']);
  });

  it('reports an unanswered request (timeout, lost link) and a rate limit', async () => {
    const { socket, conversations } = withHistory();
    conversations.loadOlder('uBob');
    socket.sent[0].fail(new Error('operation has timed out'));
    conversations.loadOlder('uCarol');
    socket.sent[1].ack({ ok: false, error: ErrorCode.RateLimited });
    await settle();
    expect(user(conversations, 'bob').olderError).toMatch(
      /could not be loaded/i,
    );
    expect(user(conversations, 'bob').loadingOlder).toBe(false);
    expect(user(conversations, 'carol').olderError).toMatch(/too many/i);
  });

  it('asks nothing while the link is down, and says why', () => {
    const { socket, conversations } = withHistory();
    socket.drop();
    expect(conversations.loadOlder('uBob')).toBe(false);
    expect(fetches(socket)).toHaveLength(0);
    expect(user(conversations, 'bob').olderError).toMatch(/connection/i);
  });

  it('asks nothing for a conversation without older messages or unknown', () => {
    const { socket, conversations } = signedIn([
      view('uBob', 'bob', true, latest),
    ]);
    expect(conversations.loadOlder('uBob')).toBe(false);
    expect(conversations.loadOlder('uNobody')).toBe(false);
    expect(fetches(socket)).toHaveLength(0);
  });

  it('keeps loaded pages through a reconnect replay, merged by id', async () => {
    const { socket, conversations } = withHistory();
    conversations.loadOlder('uBob');
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
    expect(contents(conversations, 'bob')).toEqual([
      'o1',
      'o2',
      'l1',
      'l2',
      'l3',
    ]);
    // The replay's "more" is about what we already hold: the history still starts at o1.
    expect(user(conversations, 'bob').hasMoreMessages).toBe(false);
  });

  it('keeps a pending send and an unanswered request through a replay', async () => {
    const { socket, conversations, outbox } = withHistory();
    conversations.select('uBob');
    outbox.send('pending');
    conversations.loadOlder('uBob');
    socket.serverEmit(ChatEvent.Users, [
      view('uAlice', 'alice'),
      view('uBob', 'bob', true, latest, true),
    ]);
    expect(contents(conversations, 'bob')).toEqual(['l1', 'l2', 'pending']);
    expect(user(conversations, 'bob').loadingOlder).toBe(true);
    const fetch = fetches(socket)[0];
    fetch.ack({ ok: true, messages: older, hasMore: true });
    await settle();
    expect(contents(conversations, 'bob')).toEqual([
      'o1',
      'o2',
      'l1',
      'l2',
      'pending',
    ]);
  });

  it('starts over from a replay that may leave a hole, and drops a page that no longer joins', async () => {
    const { socket, conversations } = withHistory();
    conversations.loadOlder('uBob');
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
    expect(contents(conversations, 'bob')).toEqual(['n1', 'n2']);
    expect(user(conversations, 'bob').hasMoreMessages).toBe(true);
    socket.sent[0].ack({ ok: true, messages: older, hasMore: false });
    await settle();
    expect(contents(conversations, 'bob')).toEqual(['n1', 'n2']);
    expect(user(conversations, 'bob')).toMatchObject({
      loadingOlder: false,
      hasMoreMessages: true,
    });
    conversations.loadOlder('uBob');
    expect(socket.sent[1].payload).toEqual({ userID: 'uBob', before: 'm0900' });
  });

  it('ignores an answer that comes after logout', async () => {
    const { socket, connection, conversations } = withHistory();
    conversations.loadOlder('uBob');
    connection.logout();
    socket.sent[0].ack({ ok: true, messages: older, hasMore: false });
    await settle();
    expect(conversations.users()).toEqual([]);
  });

  it('does not make a read conversation unread with older messages', async () => {
    const { socket, conversations } = withHistory();
    conversations.select('uBob');
    conversations.select('uCarol');
    conversations.loadOlder('uBob');
    socket.sent[0].ack({ ok: true, messages: older, hasMore: true });
    await settle();
    expect(user(conversations, 'bob').hasNewMessages).toBe(false);
  });
});
