import { ChatEvent, ErrorCode, type Message } from '@chat/contracts';
import {
  ALICE,
  message,
  receiptsSent,
  reload,
  settle,
  signedIn,
  user,
  view,
} from '../testing/chat-harness';
import { RECEIPT_INTERVAL_MS } from './read-state.store';

/** What the Page Visibility API says, and its event. */
function setVisibility(state: 'visible' | 'hidden'): void {
  Object.defineProperty(document, 'visibilityState', {
    configurable: true,
    get: () => state,
  });
  document.dispatchEvent(new Event('visibilitychange'));
}

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
  jest.useFakeTimers();
});
afterEach(() => {
  setVisibility('visible');
  jest.useRealTimers();
});

describe('ReadStateStore: server read markers and receipts', () => {
  const fromBob = message('uBob', 'uAlice', 'from bob', 'm0101');
  const fromBob2 = message('uBob', 'uAlice', 'again', 'm0102');
  const fromCarol = message('uCarol', 'uAlice', 'from carol', 'm0103');
  const mine = message('uAlice', 'uBob', 'mine', 'm0104');

  it('shows the unread counts of the replay, the server counting beyond the pages held', () => {
    const { conversations } = signedIn([
      // 120 unread, only the last 2 replayed.
      {
        ...view('uBob', 'bob', true, [fromBob, fromBob2], true),
        unread: 120,
      },
      {
        ...view('uCarol', 'carol', true, [fromCarol]),
        unread: 0,
        readUpTo: 'm0103',
      },
    ]);
    expect(user(conversations, 'bob').unreadCount).toBe(120);
    expect(user(conversations, 'carol').unreadCount).toBe(0);
    expect(conversations.totalUnread()).toBe(120);
  });

  it('counts what it holds where every message after the marker is held', () => {
    const { conversations } = signedIn([
      {
        ...view('uBob', 'bob', true, [fromBob, fromBob2, mine]),
        unread: 1,
        readUpTo: 'm0101',
      },
    ]);
    expect(user(conversations, 'bob').unreadCount).toBe(1);
  });

  it('tells the server what this tab holds (delivered), once, and nothing of conversations read', () => {
    const chat = signedIn([
      {
        ...view('uBob', 'bob', true, [fromBob, fromBob2]),
        unread: 1,
        readUpTo: 'm0101',
      },
      {
        ...view('uCarol', 'carol', true, [fromCarol]),
        unread: 0,
        readUpTo: 'm0103',
      },
    ]);
    expect(receiptsSent(chat)).toEqual([
      { userID: 'uBob', delivered: 'm0102' },
    ]);
    jest.advanceTimersByTime(RECEIPT_INTERVAL_MS);
    chat.socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uCarol', 'uAlice', 'live', 'm0110'),
    );
    expect(receiptsSent(chat).slice(1)).toEqual([
      { userID: 'uCarol', delivered: 'm0110' },
    ]);
    expect(user(chat.conversations, 'carol').unreadCount).toBe(1);
  });

  it('reads the open conversation at once and tells the server, which tells our other tabs', () => {
    const chat = signedIn([
      { ...view('uBob', 'bob', true, [fromBob, fromBob2]), unread: 2 },
    ]);
    jest.advanceTimersByTime(RECEIPT_INTERVAL_MS);
    chat.conversations.select('uBob');
    expect(user(chat.conversations, 'bob').unreadCount).toBe(0);
    expect(receiptsSent(chat).at(-1)).toEqual({
      userID: 'uBob',
      read: 'm0102',
    });
    // Answered by our marker, to every tab of ours.
    chat.socket.serverEmit(ChatEvent.ReadMarker, {
      userID: 'uBob',
      read: 'm0102',
      unread: 0,
    });
    expect(user(chat.conversations, 'bob').unreadCount).toBe(0);
  });

  it('clears the count when another tab or device reads (`read marker`), never moving back', () => {
    const { socket, conversations } = signedIn([
      { ...view('uBob', 'bob', true, [fromBob, fromBob2]), unread: 2 },
    ]);
    socket.serverEmit(ChatEvent.ReadMarker, {
      userID: 'uBob',
      read: 'm0101',
      unread: 1,
    });
    expect(user(conversations, 'bob').unreadCount).toBe(1);
    socket.serverEmit(ChatEvent.ReadMarker, {
      userID: 'uBob',
      read: 'm0102',
      unread: 0,
    });
    expect(user(conversations, 'bob').unreadCount).toBe(0);
    socket.serverEmit(ChatEvent.ReadMarker, {
      userID: 'uBob',
      read: 'm0101',
      unread: 1,
    });
    expect(user(conversations, 'bob').unreadCount).toBe(0);
  });

  it('survives a reload: the replay carries the marker', () => {
    const { conversations } = signedIn([
      { ...view('uBob', 'bob', true, [fromBob]), unread: 1 },
    ]);
    conversations.select('uBob');
    const again = reload([
      { ...view('uBob', 'bob', true, [fromBob]), unread: 0, readUpTo: 'm0101' },
    ]);
    expect(user(again.conversations, 'bob').unreadCount).toBe(0);
    expect(receiptsSent(again)).toEqual([]);
  });

  it('keeps a read made here over an older marker in a replay, until the server catches up', () => {
    const { socket, conversations } = signedIn([
      { ...view('uBob', 'bob', true, [fromBob, fromBob2]), unread: 2 },
    ]);
    conversations.select('uBob');
    conversations.close();
    socket.serverEmit(ChatEvent.Users, [
      view(ALICE.userID, 'alice'),
      { ...view('uBob', 'bob', true, [fromBob, fromBob2]), unread: 2 },
    ]);
    expect(user(conversations, 'bob').unreadCount).toBe(0);
  });

  it('sends at most one receipt per conversation every 250 ms, the newest ids of the meantime', () => {
    const chat = signedIn([
      { ...view('uBob', 'bob', true, [fromBob]), unread: 1 },
      { ...view('uCarol', 'carol', true, [fromCarol]), unread: 1 },
    ]);
    // The replay's delivered receipts went, one per conversation.
    expect(receiptsSent(chat)).toEqual([
      { userID: 'uBob', delivered: 'm0101' },
      { userID: 'uCarol', delivered: 'm0103' },
    ]);
    chat.conversations.select('uBob');
    for (const id of ['m0120', 'm0121', 'm0122'])
      chat.socket.serverEmit(
        ChatEvent.PrivateMessage,
        message('uBob', 'uAlice', id, id),
      );
    expect(receiptsSent(chat)).toHaveLength(2);
    jest.advanceTimersByTime(RECEIPT_INTERVAL_MS - 1);
    expect(receiptsSent(chat)).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(receiptsSent(chat).slice(2)).toEqual([
      { userID: 'uBob', read: 'm0122' },
    ]);
    expect(user(chat.conversations, 'bob').unreadCount).toBe(0);
  });

  it('reads nothing while the tab is hidden, and the open conversation once it is shown', () => {
    const chat = signedIn([
      { ...view('uBob', 'bob', true, [fromBob]), unread: 1 },
    ]);
    jest.advanceTimersByTime(RECEIPT_INTERVAL_MS);
    setVisibility('hidden');
    chat.conversations.select('uBob');
    chat.socket.serverEmit(ChatEvent.PrivateMessage, fromBob2);
    jest.advanceTimersByTime(RECEIPT_INTERVAL_MS);
    expect(user(chat.conversations, 'bob').unreadCount).toBe(2);
    expect(receiptsSent(chat).slice(1)).toEqual([
      { userID: 'uBob', delivered: 'm0102' },
    ]);
    setVisibility('visible');
    jest.advanceTimersByTime(RECEIPT_INTERVAL_MS);
    expect(user(chat.conversations, 'bob').unreadCount).toBe(0);
    expect(receiptsSent(chat).slice(2)).toEqual([
      { userID: 'uBob', read: 'm0102' },
    ]);
  });

  it('asks again after a refusal or no answer, with growing delays; not after invalid payload', async () => {
    const chat = signedIn([
      { ...view('uBob', 'bob', true, [fromBob]), unread: 1 },
    ]);
    jest.advanceTimersByTime(RECEIPT_INTERVAL_MS);
    chat.conversations.select('uBob');
    chat.socket.receipts[1].ack({ ok: false, error: ErrorCode.RateLimited });
    await settle();
    // retryDelayMs is 100 in these tests, then 200.
    jest.advanceTimersByTime(99);
    expect(receiptsSent(chat)).toHaveLength(2);
    jest.advanceTimersByTime(RECEIPT_INTERVAL_MS);
    expect(receiptsSent(chat).slice(2)).toEqual([
      { userID: 'uBob', read: 'm0101' },
    ]);
    chat.socket.receipts[2].fail(new Error('timeout'));
    await settle();
    jest.advanceTimersByTime(199);
    expect(receiptsSent(chat)).toHaveLength(3);
    jest.advanceTimersByTime(RECEIPT_INTERVAL_MS);
    expect(receiptsSent(chat)).toHaveLength(4);
    chat.socket.receipts[3].ack({ ok: false, error: ErrorCode.InvalidPayload });
    await settle();
    jest.advanceTimersByTime(60_000);
    expect(receiptsSent(chat)).toHaveLength(4);
  });

  it('sends nothing while the link is down; the replay after the reconnect asks again', () => {
    const chat = signedIn([
      { ...view('uBob', 'bob', true, [fromBob]), unread: 1 },
    ]);
    jest.advanceTimersByTime(RECEIPT_INTERVAL_MS);
    chat.socket.drop();
    chat.conversations.select('uBob');
    expect(receiptsSent(chat)).toHaveLength(1);
    chat.socket.connectOk();
    chat.socket.serverEmit(ChatEvent.Session, ALICE);
    chat.socket.serverEmit(ChatEvent.Users, [
      view(ALICE.userID, 'alice'),
      { ...view('uBob', 'bob', true, [fromBob]), unread: 1 },
    ]);
    expect(receiptsSent(chat).slice(1)).toEqual([
      { userID: 'uBob', read: 'm0101' },
    ]);
  });

  it('adds live messages to the server count of a conversation read beyond its pages', () => {
    const backlog: Message[] = [fromBob, fromBob2];
    const { socket, conversations } = signedIn([
      { ...view('uBob', 'bob', true, backlog, true), unread: 80 },
    ]);
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uBob', 'uAlice', 'one more', 'm0130'),
    );
    expect(user(conversations, 'bob').unreadCount).toBe(81);
  });

  it('forgets the markers of an identity that ends, and the read marks earlier versions stored', () => {
    localStorage.setItem(`lastRead:${ALICE.userID}`, '{"uBob":"m0101"}');
    const { connection, readState } = signedIn([
      { ...view('uBob', 'bob', true, [fromBob]), unread: 1 },
    ]);
    expect(localStorage.getItem(`lastRead:${ALICE.userID}`)).toBeNull();
    expect(readState.readMarkers().size).toBe(1);
    connection.logout();
    expect(readState.readMarkers().size).toBe(0);
  });
});
