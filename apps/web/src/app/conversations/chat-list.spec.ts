import { ChatEvent } from '@chat/contracts';
import type { IncomingMessage } from './conversation.models';
import {
  ALICE,
  message,
  settle,
  signedIn,
  user,
  view,
} from '../testing/chat-harness';

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
});
afterEach(() => jest.useRealTimers());

const at = (minute: number) =>
  new Date(Date.UTC(2026, 10, 30, 12, minute)).toISOString();
const sent = (from: string, to: string, content: string, minute: number) => ({
  ...message(from, to, content),
  at: at(minute),
});

describe('the list: chats by their latest message, then everyone else by name', () => {
  it('orders conversations by their latest message, pending sends included, and leaves ourselves out', async () => {
    const { socket, conversations, outbox } = signedIn([
      view('uBob', 'bob', true, [sent('uBob', 'uAlice', 'old news', 1)]),
      view('uCarol', 'carol', false, [sent('uAlice', 'uCarol', 'newer', 5)]),
      view('uDan', 'dan'),
      view('uAnn', 'ann', false),
    ]);
    const rows = () => ({
      chats: conversations.chats().map((u) => u.username),
      people: conversations.people().map((u) => u.username),
    });
    expect(rows()).toEqual({ chats: ['carol', 'bob'], people: ['ann', 'dan'] });

    // A new message from bob puts him first.
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      sent('uBob', 'uAlice', 'hi', 9),
    );
    expect(rows().chats).toEqual(['bob', 'carol']);

    // Writing to dan (still on its way) makes a conversation of him, the latest.
    jest.useFakeTimers({ now: Date.parse(at(30)) });
    conversations.select('uDan');
    outbox.send('hello dan');
    expect(rows()).toEqual({ chats: ['dan', 'bob', 'carol'], people: ['ann'] });
    await settle();
  });

  it('counts unread messages per conversation and in all', () => {
    const { socket, conversations } = signedIn([
      view('uBob', 'bob', true, [
        sent('uBob', 'uAlice', 'one', 1),
        sent('uBob', 'uAlice', 'two', 2),
      ]),
      view('uCarol', 'carol', true, [sent('uCarol', 'uAlice', 'hey', 3)]),
    ]);
    expect(user(conversations, 'bob').unreadCount).toBe(2);
    expect(conversations.totalUnread()).toBe(3);
    conversations.select('uBob');
    expect(user(conversations, 'bob').unreadCount).toBe(0);
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      sent('uCarol', 'uAlice', 'again', 4),
    );
    expect(user(conversations, 'carol').unreadCount).toBe(2);
    expect(conversations.totalUnread()).toBe(2);
  });

  it('searches over both: matching chats first, then matching people', () => {
    const { directory, conversations } = signedIn([
      view('uBob', 'bob', true, [sent('uBob', 'uAlice', 'hi', 1)]),
      view('uBea', 'bea'),
      view('uCarol', 'carol'),
    ]);
    directory.search('b');
    expect(conversations.chats().map((u) => u.username)).toEqual(['bob']);
    expect(conversations.people().map((u) => u.username)).toEqual(['bea']);
  });
});

describe('names and presence as shown', () => {
  it('shows users who share a name (case-insensitive) with a suffix of their userID, everywhere', () => {
    const { socket, conversations, directory } = signedIn([
      view('a1b2c3d4', 'dave'),
      view('Zz9yXw8v', 'Dave'),
      view('uCarol', 'carol'),
    ]);
    const shown = () =>
      Object.fromEntries(
        conversations.users().map((u) => [u.userID, u.displayName]),
      );
    expect(shown()).toEqual({
      [ALICE.userID]: 'alice',
      a1b2c3d4: 'dave (#a1b2)',
      Zz9yXw8v: 'Dave (#Zz9y)',
      uCarol: 'carol',
    });
    expect(directory.displayNames().get('a1b2c3d4')).toBe('dave (#a1b2)');
    // Another alice: ourselves too.
    socket.serverEmit(ChatEvent.UserConnected, view('xAlice99', 'ALICE'));
    expect(shown()[ALICE.userID]).toBe('alice (#uAli)');
    expect(shown()['xAlice99']).toBe('ALICE (#xAli)');
  });

  it('shows everyone else as unknown while our own link is down, and ourselves offline', () => {
    const { socket, conversations } = signedIn([
      view('uBob', 'bob'),
      view('uCarol', 'carol', false),
    ]);
    const presence = () =>
      conversations.users().map((u) => [u.username, u.presence]);
    expect(presence()).toEqual([
      ['alice', 'online'],
      ['bob', 'online'],
      ['carol', 'offline'],
    ]);
    socket.drop();
    expect(presence()).toEqual([
      ['alice', 'offline'],
      ['bob', 'unknown'],
      ['carol', 'unknown'],
    ]);
    socket.connectOk();
    expect(presence()[1]).toEqual(['bob', 'online']);
  });

  it("takes the server's lastSeen for someone offline, sets it when we see them leave, and drops it when they come back", () => {
    const { socket, conversations } = signedIn([
      view('uBob', 'bob'),
      {
        ...view('uCarol', 'carol', false),
        lastSeen: '2026-11-30T10:00:00.000Z',
      },
      view('uDan', 'dan', false),
    ]);
    expect(user(conversations, 'carol').lastSeen).toBe(
      '2026-11-30T10:00:00.000Z',
    );
    expect(user(conversations, 'dan').lastSeen).toBeUndefined();
    expect(user(conversations, 'bob').lastSeen).toBeUndefined();

    jest.useFakeTimers({ now: Date.parse('2026-11-30T12:34:56.000Z') });
    socket.serverEmit(ChatEvent.UserDisconnected, 'uBob');
    expect(user(conversations, 'bob').lastSeen).toBe(
      '2026-11-30T12:34:56.000Z',
    );
    socket.serverEmit(ChatEvent.UserConnected, view('uBob', 'bob'));
    expect(user(conversations, 'bob').lastSeen).toBeUndefined();
  });
});

describe('the conversation a link names', () => {
  it('opens a known user at once, and says none without a link', () => {
    const { conversations } = signedIn();
    expect(conversations.selection()).toBe('none');
    conversations.select('uBob');
    expect(conversations.selection()).toBe('open');
    expect(conversations.selectedUser()?.username).toBe('bob');
    conversations.close();
    expect(conversations.selection()).toBe('none');
  });

  it('looks an unknown id up, and opens it once the server names the user', async () => {
    const { socket, conversations } = signedIn();
    conversations.select('uZoe');
    expect(conversations.selection()).toBe('looking-up');
    const lookUp = socket.userFetches.find(
      (f) => 'userIDs' in (f.payload as object),
    );
    expect(lookUp?.payload).toEqual({ userIDs: ['uZoe'] });
    lookUp?.ack({ ok: true, users: [view('uZoe', 'zoe', false)] });
    await settle();
    expect(conversations.selection()).toBe('open');
    expect(conversations.selectedUser()?.username).toBe('zoe');
  });

  it('says missing for an id the server does not have, a malformed one, or ourselves', async () => {
    const { socket, conversations } = signedIn();
    conversations.select('uNobody');
    socket.userFetches
      .find((f) => 'userIDs' in (f.payload as object))
      ?.ack({ ok: true, users: [] });
    await settle();
    expect(conversations.selection()).toBe('missing');

    const asked = socket.userFetches.length;
    conversations.select('<not an id>');
    expect(conversations.selection()).toBe('missing');
    conversations.select(ALICE.userID);
    expect(conversations.selection()).toBe('missing');
    expect(socket.userFetches).toHaveLength(asked);
  });

  it('asks after the replay when the link was followed before the connection was up', () => {
    const { socket, conversations } = signedIn();
    socket.drop();
    conversations.select('uZoe');
    expect(conversations.selection()).toBe('looking-up');
    socket.connectOk();
    socket.serverEmit(ChatEvent.Users, [view(ALICE.userID, 'alice')]);
    expect(
      socket.userFetches
        .filter((f) => 'userIDs' in (f.payload as object))
        .at(-1)?.payload,
    ).toEqual({ userIDs: ['uZoe'] });
  });
});

describe('incoming$', () => {
  it('tells each live message from someone else once, with its sender: not ours, not replays', () => {
    const { socket, conversations } = signedIn([
      view('uBob', 'bob', true, [sent('uBob', 'uAlice', 'replayed', 1)]),
    ]);
    const heard: IncomingMessage[] = [];
    conversations.incoming$.subscribe((m) => heard.push(m));
    const live = sent('uBob', 'uAlice', 'live', 2);
    socket.serverEmit(ChatEvent.PrivateMessage, live);
    socket.serverEmit(ChatEvent.PrivateMessage, live);
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      sent('uAlice', 'uBob', 'mine', 3),
    );
    socket.serverEmit(ChatEvent.Users, [
      view(ALICE.userID, 'alice'),
      view('uBob', 'bob', true, [sent('uBob', 'uAlice', 'while away', 4)]),
    ]);
    expect(heard.map((m) => [m.message.content, m.from?.displayName])).toEqual([
      ['live', 'bob'],
    ]);
  });
});
