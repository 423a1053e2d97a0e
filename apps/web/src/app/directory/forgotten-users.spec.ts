import { ChatEvent, ErrorCode } from '@chat/contracts';
import type { ConversationsStore } from '../conversations/conversations.store';
import { SESSION_ID_KEY } from '../core/connection.store';
import { SAVED_SENDS_KEY, parseSavedSends } from '../outbox/saved-sends';
import {
  ALICE,
  message,
  names,
  settle,
  signedIn,
  user,
  view,
} from '../testing/chat-harness';
import type { FakeChatSocket } from '../testing/fake-chat-socket';

/** `user forgotten`: the directory lets the user go, and every store above drops what it holds of them. */

beforeEach(() => {
  localStorage.clear();
  // Pending sends kept for a reload (see saved-sends.spec.ts) stay out of these tests.
  sessionStorage.clear();
});
afterEach(() => jest.useRealTimers());

describe('forgotten users', () => {
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
  const visible = (conversations: ConversationsStore) =>
    conversations.visibleUsers().map((u) => u.username);
  const contentsSent = (socket: FakeChatSocket) =>
    socket.sent.map((sent) => (sent.payload as { content: string }).content);

  it('removes the user from the list and the search results, also from answers read before the event', async () => {
    jest.useFakeTimers();
    const { socket, directory, conversations } = withConversations();
    socket.userFetches[0].ack({
      ok: true,
      users: [view('uann', 'ann'), view('uBob', 'bob')],
      next: 'c1',
    });
    await settle();
    expect(names(conversations)).toEqual(['alice', 'ann', 'bob', 'carol']);
    // The next page is on its way: the server read it before the deletions.
    directory.loadMore();
    forget(socket, 'uBob');
    forget(socket, 'uann');
    forget(socket, 'ueve');
    expect(names(conversations)).toEqual(['alice', 'carol']);
    socket.userFetches[1].ack({
      ok: true,
      users: [view('ueve', 'eve'), view('udan', 'dan')],
    });
    await settle();
    expect(names(conversations)).toEqual(['alice', 'carol', 'dan']);

    directory.search('a');
    jest.advanceTimersByTime(200);
    socket.userFetches[2].ack({
      ok: true,
      users: [view('uabe', 'abe'), view('uamy', 'amy')],
    });
    await settle();
    expect(visible(conversations)).toEqual(['alice', 'abe', 'amy']);
    forget(socket, 'uabe');
    expect(visible(conversations)).toEqual(['alice', 'amy']);
    directory.search('');
    expect(visible(conversations)).toEqual(['alice', 'carol', 'dan']);
  });

  it('shows the conversation on screen as missing when its user is forgotten', async () => {
    const { socket, conversations, outbox, lastError } = withConversations();
    conversations.select('uBob');
    outbox.send('too fast');
    socket.sent[0].ack({ ok: false, error: ErrorCode.RateLimited });
    await settle();
    expect(outbox.sendFailure()).not.toBeNull();
    forget(socket, 'uBob');
    // The URL still names bob: the screen says the conversation does not exist.
    expect(conversations.selection()).toBe('missing');
    expect(conversations.selectedUser()).toBeUndefined();
    expect(outbox.sendFailure()).toBeNull();
    expect(lastError()).toBeNull();
    expect(outbox.send('anyone?')).toBe(false);
  });

  it('drops a conversation whose user was forgotten while we were away: the look-up after the replay leaves them out', async () => {
    const { socket, conversations } = withConversations();
    conversations.select('uBob');
    // The replay after a lost link no longer has bob: the server forgot him meanwhile.
    socket.serverEmit(ChatEvent.Users, [
      view(ALICE.userID, 'alice'),
      view('uCarol', 'carol', true, [fromCarol]),
    ]);
    expect(names(conversations)).toEqual(['alice', 'bob', 'carol']);
    const lookUp = socket.userFetches.find(
      (fetch) => 'userIDs' in (fetch.payload as object),
    );
    expect(lookUp?.payload).toEqual({ userIDs: ['uBob'] });
    lookUp?.ack({ ok: true, users: [] });
    await settle();
    expect(names(conversations)).toEqual(['alice', 'carol']);
    expect(conversations.selection()).toBe('missing');
  });

  it('keeps the conversation on screen when another user is forgotten', () => {
    const { socket, conversations } = withConversations();
    conversations.select('uCarol');
    forget(socket, 'uBob');
    expect(conversations.selectedUserID()).toBe('uCarol');
    expect(conversations.selectedUser()?.username).toBe('carol');
    expect(
      conversations.selectedUser()?.messages.map((m) => m.content),
    ).toEqual(['from carol']);
  });

  it('drops the read marker of the forgotten user, keeping the others, and no receipt about them goes', () => {
    jest.useFakeTimers();
    const { socket, conversations, readState } = withConversations();
    conversations.select('uCarol');
    conversations.select('uBob');
    const aboutBob = () =>
      socket.receipts.filter(
        (r) => (r.payload as { userID: string }).userID === 'uBob',
      ).length;
    const receipts = aboutBob();
    forget(socket, 'uBob');
    jest.advanceTimersByTime(1_000);
    expect(aboutBob()).toBe(receipts);
    expect(readState.readMarkers().has('uBob')).toBe(false);
    expect(readState.readMarkers().get('uCarol')).toEqual({ read: 'm0902' });
    expect(user(conversations, 'carol').hasNewMessages).toBe(false);
  });

  it('drops pending sends to the forgotten user: never sent again, no failure, late answers ignored', async () => {
    jest.useFakeTimers();
    const { socket, conversations, outbox, lastError } = withConversations();
    conversations.select('uBob');
    outbox.send('waiting');
    outbox.send('in flight');
    socket.sent[0].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    conversations.select('uCarol');
    outbox.send('to carol');
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
    expect(lastError()).toBeNull();

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
    expect(names(conversations)).toEqual(['alice', 'carol']);
    expect(lastError()).toBeNull();
  });

  it('ignores the event for our own userID', () => {
    const { socket, connection, conversations, readState } =
      withConversations();
    conversations.select('uBob');
    forget(socket, ALICE.userID);
    expect(names(conversations)).toEqual(['alice', 'bob', 'carol']);
    expect(conversations.self()).toMatchObject({
      userID: 'uAlice',
      connected: true,
    });
    expect(connection.session()).toEqual({
      userID: 'uAlice',
      username: 'alice',
    });
    expect(readState.readMarkers().get('uBob')).toEqual({ read: 'm0901' });
    expect(localStorage.getItem(SESSION_ID_KEY)).toBe(ALICE.sessionID);
  });

  it('changes nothing for a userID it does not know', () => {
    const { socket, conversations, outbox, readState } = withConversations();
    conversations.select('uBob');
    outbox.send('pending');
    const users = conversations.users();
    forget(socket, 'uNobody');
    expect(conversations.users()).toBe(users);
    expect(conversations.selectedUserID()).toBe('uBob');
    expect(readState.readMarkers().get('uBob')).toEqual({ read: 'm0901' });
    expect(
      user(conversations, 'bob')
        .messages.filter((m) => m.pending)
        .map((m) => m.content),
    ).toEqual(['pending']);
  });
});
