import { ChatEvent, ErrorCode, type UserView } from '@chat/contracts';
import type { ConversationsStore } from '../conversations/conversations.store';
import {
  ALICE,
  contents,
  message,
  names,
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

describe('DirectoryStore: users', () => {
  it('lists self first, then by username, and marks self', () => {
    const { conversations } = signedIn([
      view('uZed', 'zed'),
      view('uBob', 'bob'),
      view('uAnn', 'Ann', false),
    ]);
    expect(names(conversations)).toEqual(['alice', 'Ann', 'bob', 'zed']);
    expect(conversations.users().map((u) => u.self)).toEqual([
      true,
      false,
      false,
      false,
    ]);
    expect(conversations.self()?.connected).toBe(true);
  });

  it('adds a new user in order on `user connected`', () => {
    const { socket, conversations } = signedIn();
    socket.serverEmit(ChatEvent.UserConnected, view('uBen', 'ben'));
    expect(names(conversations)).toEqual(['alice', 'ben', 'bob', 'carol']);
  });

  it('marks a known user online again without duplicating them (nor self from another tab)', () => {
    const { socket, conversations } = signedIn();
    socket.serverEmit(ChatEvent.UserConnected, view('uCarol', 'carol'));
    socket.serverEmit(ChatEvent.UserConnected, view('uAlice', 'alice'));
    expect(names(conversations)).toEqual(['alice', 'bob', 'carol']);
    expect(user(conversations, 'carol').connected).toBe(true);
    expect(user(conversations, 'alice').self).toBe(true);
  });

  it('marks a user offline on `user disconnected`, but never self while connected', () => {
    const { socket, conversations } = signedIn();
    socket.serverEmit(ChatEvent.UserDisconnected, 'uBob');
    socket.serverEmit(ChatEvent.UserDisconnected, 'uAlice');
    expect(user(conversations, 'bob').connected).toBe(false);
    expect(user(conversations, 'alice').connected).toBe(true);
  });
});

describe('DirectoryStore: directory', () => {
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
    const { socket, directory, conversations } = signedIn([
      view('uBob', 'bob'),
    ]);
    expect(fetched(socket)).toEqual([{}]);
    expect(directory.view()).toEqual({
      searching: false,
      more: true,
      loading: true,
      error: null,
    });
    answer(socket, 0, [view('uAnn', 'Ann', false), view('uBob', 'bob')], 'c1');
    await settle();
    expect(names(conversations)).toEqual(['alice', 'Ann', 'bob']);
    expect(user(conversations, 'Ann').connected).toBe(false);
    expect(directory.view()).toEqual({
      searching: false,
      more: true,
      loading: false,
      error: null,
    });
  });

  it('loads the following pages by cursor, one request at a time, until a page without `next`', async () => {
    const { socket, directory, conversations } = await withFirstPage();
    directory.loadMore();
    directory.loadMore();
    expect(fetched(socket)).toEqual([{}, { after: 'c1' }]);
    expect(directory.view().loading).toBe(true);
    answer(socket, 1, page('eve', 'fay'));
    await settle();
    expect(names(conversations)).toEqual([
      'alice',
      'ann',
      'bob',
      'dan',
      'eve',
      'fay',
    ]);
    expect(directory.view()).toMatchObject({ more: false, loading: false });
    directory.loadMore();
    expect(fetched(socket)).toHaveLength(2);
  });

  it('ends on an empty page, whatever it claims', async () => {
    const { socket, directory } = await withFirstPage();
    directory.loadMore();
    answer(socket, 1, [], 'c2');
    await settle();
    expect(directory.view().more).toBe(false);
  });

  it('never wipes the conversation or unread state of a user it lists again', async () => {
    const { conversations } = await withFirstPage();
    expect(contents(conversations, 'bob')).toEqual(['hi alice']);
    expect(user(conversations, 'bob').hasNewMessages).toBe(true);
    expect(names(conversations).filter((n) => n === 'bob')).toHaveLength(1);
  });

  it('keeps a presence event that overtook the answer, and takes the answer over older events', async () => {
    const { socket, directory, conversations } = await withFirstPage();
    // Before the request: the answer is newer (fay is not known yet, so she is not listed).
    socket.serverEmit(ChatEvent.UserDisconnected, 'ufay');
    expect(names(conversations)).not.toContain('fay');
    directory.loadMore();
    // After it: the events are newer than the answer.
    socket.serverEmit(ChatEvent.UserDisconnected, 'ueve');
    socket.serverEmit(ChatEvent.UserConnected, view('ugus', 'gus'));
    answer(socket, 1, [
      view('ueve', 'eve', true),
      view('ufay', 'fay', true),
      view('ugus', 'gus', false),
    ]);
    await settle();
    expect(user(conversations, 'eve').connected).toBe(false);
    expect(user(conversations, 'fay').connected).toBe(true);
    expect(user(conversations, 'gus').connected).toBe(true);
  });

  it('reports a failed page and asks for it again on the next call', async () => {
    const { socket, directory, conversations } = await withFirstPage();
    directory.loadMore();
    socket.userFetches[1].ack({ ok: false, error: ErrorCode.RateLimited });
    await settle();
    expect(directory.view()).toEqual({
      searching: false,
      more: true,
      loading: false,
      error: 'Users could not be loaded.',
    });
    directory.loadMore();
    expect(directory.view()).toMatchObject({ loading: true, error: null });
    socket.userFetches[2].fail(new Error('operation has timed out'));
    await settle();
    expect(directory.view().error).not.toBeNull();
    directory.loadMore();
    expect(fetched(socket)).toEqual([
      {},
      { after: 'c1' },
      { after: 'c1' },
      { after: 'c1' },
    ]);
    answer(socket, 3, page('eve'));
    await settle();
    expect(names(conversations)).toContain('eve');
    expect(directory.view().error).toBeNull();
  });

  it('starts again from the first page on reconnect, and ignores answers of before', async () => {
    const { socket, directory, conversations } = await withFirstPage();
    directory.loadMore();
    socket.drop();
    socket.connectOk();
    socket.serverEmit(ChatEvent.Session, ALICE);
    socket.serverEmit(ChatEvent.Users, [
      view('uAlice', 'alice'),
      view('uBob', 'bob', false),
    ]);
    expect(names(conversations)).toEqual(['alice', 'bob']);
    expect(fetched(socket)).toEqual([{}, { after: 'c1' }, {}]);
    answer(socket, 1, page('eve'));
    await settle();
    expect(names(conversations)).toEqual(['alice', 'bob']);
    expect(directory.view().loading).toBe(true);
    answer(socket, 2, page('ann', 'bob'), 'c9');
    await settle();
    expect(names(conversations)).toEqual(['alice', 'ann', 'bob']);
    expect(contents(conversations, 'bob')).toEqual(['hi alice']);
    directory.loadMore();
    expect(fetched(socket)[3]).toEqual({ after: 'c9' });
  });

  it('keeps the conversation on screen through a restart, and looks it up again', async () => {
    const { socket, conversations } = await withFirstPage();
    conversations.select('udan');
    socket.serverEmit(ChatEvent.Users, [
      view('uAlice', 'alice'),
      view('uBob', 'bob'),
    ]);
    expect(names(conversations)).toEqual(['alice', 'bob', 'dan']);
    expect(conversations.selectedUser()?.username).toBe('dan');
    expect(fetched(socket).slice(1)).toEqual([{}, { userIDs: ['udan'] }]);
  });

  it('adds users on `user connected` while the whole directory fits in the first page', async () => {
    const { socket, directory, conversations } = await withFirstPage(null);
    expect(directory.view().more).toBe(false);
    socket.serverEmit(ChatEvent.UserConnected, view('uben', 'ben'));
    expect(names(conversations)).toEqual(['alice', 'ann', 'ben', 'bob', 'dan']);
  });

  it('does not list a user of an unread page on `user connected`', async () => {
    const { socket, conversations } = await withFirstPage();
    socket.serverEmit(ChatEvent.UserConnected, view('uzed', 'zed'));
    expect(names(conversations)).not.toContain('zed');
  });

  it('ignores answers that come after logout', async () => {
    const { socket, connection, directory, conversations } = signedIn();
    connection.logout();
    answer(socket, 0, page('ann'));
    await settle();
    expect(conversations.users()).toEqual([]);
    expect(directory.view().loading).toBe(false);
  });
});

describe('DirectoryStore: user search', () => {
  const fetched = (socket: FakeChatSocket) =>
    socket.userFetches.map((f) => f.payload);
  const visible = (conversations: ConversationsStore) =>
    conversations.visibleUsers().map((u) => u.username);

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
    const { socket, directory, conversations } = await searching();
    directory.search('B');
    expect(directory.searchText()).toBe('B');
    expect(visible(conversations)).toEqual(['bob']);
    expect(directory.view()).toMatchObject({ searching: true, loading: true });
    jest.advanceTimersByTime(199);
    directory.search('Be ');
    directory.search('B');
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
    expect(visible(conversations)).toEqual(['bea', 'bob']);
    expect(directory.view()).toEqual({
      searching: true,
      more: true,
      loading: false,
      error: null,
    });
    // Found, not listed: the list itself is unchanged.
    expect(names(conversations)).toEqual(['alice', 'ann', 'bob']);

    directory.loadMore();
    expect(fetched(socket)[2]).toEqual({ query: 'B', after: 'b1' });
    socket.userFetches[2].ack({ ok: true, users: [view('ubud', 'bud')] });
    await settle();
    expect(visible(conversations)).toEqual(['bea', 'bob', 'bud']);
    expect(directory.view()).toMatchObject({ more: false });

    directory.search('  ');
    expect(visible(conversations)).toEqual(['alice', 'ann', 'bob']);
    expect(directory.view()).toMatchObject({ searching: false, more: true });
  });

  it('ignores the answer to an older search and keeps one page request in flight', async () => {
    const { socket, directory, conversations } = await searching();
    directory.search('a');
    jest.advanceTimersByTime(200);
    directory.search('al');
    jest.advanceTimersByTime(200);
    expect(fetched(socket)).toEqual([{}, { query: 'a' }]);
    socket.userFetches[1].ack({ ok: true, users: [view('uadam', 'adam')] });
    await settle();
    expect(visible(conversations)).toEqual(['alice']);
    expect(fetched(socket)).toEqual([{}, { query: 'a' }, { query: 'al' }]);
    socket.userFetches[2].ack({ ok: true, users: [view('ualex', 'alex')] });
    await settle();
    expect(visible(conversations)).toEqual(['alice', 'alex']);
    expect(directory.view()).toMatchObject({ loading: false, more: false });
  });

  it('lets a page of the directory wait behind a search, and a search behind it', async () => {
    const { socket, directory } = await searching();
    directory.loadMore();
    directory.search('z');
    jest.advanceTimersByTime(200);
    expect(fetched(socket)).toEqual([{}, { after: 'c1' }]);
    socket.userFetches[1].ack({ ok: true, users: [view('ucat', 'cat')] });
    await settle();
    expect(fetched(socket)[2]).toEqual({ query: 'z' });
  });

  it('retries a failed search page', async () => {
    const { socket, directory } = await searching();
    directory.search('z');
    jest.advanceTimersByTime(200);
    socket.userFetches[1].ack({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    expect(directory.view()).toMatchObject({
      searching: true,
      loading: false,
      error: 'Users could not be loaded.',
    });
    directory.loadMore();
    expect(fetched(socket)[2]).toEqual({ query: 'z' });
  });

  it('lists a found user once selected, also after the search is cleared', async () => {
    const { socket, directory, conversations } = await searching();
    directory.search('be');
    jest.advanceTimersByTime(200);
    socket.userFetches[1].ack({ ok: true, users: [view('ubea', 'bea')] });
    await settle();
    conversations.select('ubea');
    directory.search('');
    expect(names(conversations)).toEqual(['alice', 'ann', 'bea', 'bob']);
    expect(conversations.selectedUser()?.username).toBe('bea');
  });

  it('asks nothing for a text longer than any name', async () => {
    const { socket, directory } = await searching();
    directory.search('x'.repeat(40));
    jest.advanceTimersByTime(200);
    expect(fetched(socket)).toEqual([{}]);
    expect(directory.view()).toMatchObject({ more: false, loading: false });
  });

  it('searches again after a reconnect', async () => {
    const { socket, directory } = await searching();
    directory.search('b');
    jest.advanceTimersByTime(200);
    socket.serverEmit(ChatEvent.Users, [
      view('uAlice', 'alice'),
      view('uBob', 'bob'),
    ]);
    expect(fetched(socket)).toEqual([{}, { query: 'b' }, { query: 'b' }]);
  });
});

describe('DirectoryStore: unknown senders', () => {
  async function withPage() {
    const env = signedIn([]);
    env.socket.userFetches[0].ack({ ok: true, users: [], next: 'c1' });
    await settle();
    return env;
  }
  const byID = (conversations: ConversationsStore, userID: string) =>
    conversations.users().find((u) => u.userID === userID);

  it('shows a message from someone not listed under a stand-in, then under their name', async () => {
    const { socket, conversations } = await withPage();
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uZoe', 'uAlice', 'hello?'),
    );
    expect(byID(conversations, 'uZoe')).toMatchObject({
      placeholder: true,
      hasNewMessages: true,
    });
    expect(byID(conversations, 'uZoe')?.messages.map((m) => m.content)).toEqual(
      ['hello?'],
    );
    expect(socket.userFetches[1].payload).toEqual({ userIDs: ['uZoe'] });
    // A second message meanwhile asks nothing more.
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uZoe', 'uAlice', 'anyone?'),
    );
    expect(socket.userFetches).toHaveLength(2);

    socket.userFetches[1].ack({ ok: true, users: [view('uZoe', 'zoe')] });
    await settle();
    expect(user(conversations, 'zoe')).toMatchObject({
      placeholder: false,
      connected: true,
      hasNewMessages: true,
    });
    expect(contents(conversations, 'zoe')).toEqual(['hello?', 'anyone?']);
  });

  it('lists a found user who writes', async () => {
    jest.useFakeTimers();
    const { socket, directory, conversations } = await withPage();
    directory.search('zo');
    jest.advanceTimersByTime(200);
    socket.userFetches[1].ack({ ok: true, users: [view('uZoe', 'zoe')] });
    await settle();
    expect(names(conversations)).toEqual(['alice']);
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uZoe', 'uAlice', 'hi'),
    );
    expect(names(conversations)).toEqual(['alice', 'zoe']);
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
