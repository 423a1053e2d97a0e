import { ChatEvent, type Message } from '@chat/contracts';
import { readMarksKey } from './read-marks';
import {
  ALICE,
  message,
  reload,
  settle,
  signedIn,
  storedMarks,
  user,
  view,
} from '../testing/chat-harness';

beforeEach(() => {
  localStorage.clear();
  // Pending sends kept for a reload (see saved-sends.spec.ts) stay out of these tests.
  sessionStorage.clear();
});
afterEach(() => jest.useRealTimers());

describe('ReadStateStore: read marks', () => {
  const fromBob = message('uBob', 'uAlice', 'from bob', 'm0101');
  const fromCarol = message('uCarol', 'uAlice', 'from carol', 'm0102');
  const replay = (...bobs: Message[]) => [
    view('uBob', 'bob', true, [fromBob, ...bobs]),
    view('uCarol', 'carol', true, [fromCarol]),
  ];

  it('keeps the mark of a conversation opened, per identity, in localStorage', () => {
    const { conversations } = signedIn(replay());
    conversations.select('uBob');
    expect(storedMarks()).toEqual({ uBob: 'm0101' });
    expect(user(conversations, 'bob').hasNewMessages).toBe(false);
    expect(user(conversations, 'carol').hasNewMessages).toBe(true);
  });

  it('shows the same unread state after a reload', () => {
    const { conversations } = signedIn(replay());
    conversations.select('uBob');
    const again = reload(replay()).conversations;
    expect(again.selectedUserID()).toBeNull();
    expect(user(again, 'bob').hasNewMessages).toBe(false);
    expect(user(again, 'carol').hasNewMessages).toBe(true);
  });

  it('shows what arrived while away as unread after a reload', () => {
    const { conversations } = signedIn(replay());
    conversations.select('uBob');
    conversations.select('uCarol');
    const again = reload(
      replay(message('uBob', 'uAlice', 'while away', 'm0103')),
    ).conversations;
    expect(user(again, 'bob').hasNewMessages).toBe(true);
    expect(user(again, 'carol').hasNewMessages).toBe(false);
  });

  it('moves the mark with messages arriving in the open conversation, not in others', () => {
    const { socket, conversations } = signedIn(replay());
    conversations.select('uBob');
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
    ]).conversations;
    expect(user(again, 'bob').hasNewMessages).toBe(false);
    expect(user(again, 'carol').hasNewMessages).toBe(true);
  });

  it('reads a replay into the open conversation (a reconnect while it is on screen)', () => {
    const { socket, conversations } = signedIn(replay());
    conversations.select('uBob');
    socket.drop();
    socket.connectOk();
    socket.serverEmit(ChatEvent.Session, ALICE);
    socket.serverEmit(ChatEvent.Users, [
      view('uAlice', 'alice'),
      ...replay(message('uBob', 'uAlice', 'while away', 'm0120')),
    ]);
    expect(user(conversations, 'bob').hasNewMessages).toBe(false);
    expect(storedMarks()).toEqual({ uBob: 'm0120' });
  });

  it('leaves the mark alone for own sends, and never moves it back', async () => {
    const { socket, conversations, outbox } = signedIn(replay());
    conversations.select('uBob');
    outbox.send('mine');
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
    conversations.select('uCarol');
    expect(user(conversations, 'bob').hasNewMessages).toBe(false);
  });

  it('keeps identities apart in one browser', () => {
    const { conversations } = signedIn(replay());
    conversations.select('uBob');
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
    ).conversations;
    expect(user(other, 'bob').hasNewMessages).toBe(true);
    other.select('uBob');
    expect(storedMarks('uDave')).toEqual({ uBob: 'm0101' });
    expect(storedMarks('uAlice')).toEqual({ uBob: 'm0101' });
  });

  it('forgets the marks on logout', () => {
    const { connection, conversations } = signedIn(replay());
    conversations.select('uBob');
    expect(storedMarks()).not.toBeNull();
    connection.logout();
    expect(storedMarks()).toBeNull();
  });

  it('forgets the marks of an identity the server replaced', () => {
    const { socket, conversations } = signedIn(replay());
    conversations.select('uBob');
    socket.serverEmit(ChatEvent.Session, {
      ...ALICE,
      sessionID: 'sessNew0123456789',
      userID: 'uAlice2',
    });
    expect(storedMarks('uAlice')).toBeNull();
  });

  it('takes marks moved on by another tab of the same identity', () => {
    const { conversations } = signedIn(replay());
    expect(user(conversations, 'carol').hasNewMessages).toBe(true);
    const newValue = JSON.stringify({ uCarol: 'm0102' });
    localStorage.setItem(readMarksKey('uAlice'), newValue);
    window.dispatchEvent(
      new StorageEvent('storage', { key: readMarksKey('uAlice'), newValue }),
    );
    expect(user(conversations, 'carol').hasNewMessages).toBe(false);
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
    expect(user(conversations, 'bob').hasNewMessages).toBe(true);
    expect(user(conversations, 'carol').hasNewMessages).toBe(false);
  });

  it('does not lose marks another tab stored meanwhile', () => {
    const { conversations } = signedIn(replay());
    localStorage.setItem(
      readMarksKey('uAlice'),
      JSON.stringify({ uCarol: 'm0102' }),
    );
    conversations.select('uBob');
    expect(storedMarks()).toEqual({ uBob: 'm0101', uCarol: 'm0102' });
  });

  it('treats unreadable stored marks as none', () => {
    localStorage.setItem(readMarksKey('uAlice'), '{not json');
    const { conversations } = signedIn(replay());
    expect(user(conversations, 'bob').hasNewMessages).toBe(true);
    conversations.select('uBob');
    expect(storedMarks()).toEqual({ uBob: 'm0101' });
  });

  it('does not count own messages as unread', () => {
    const { conversations } = signedIn([
      view('uBob', 'bob', true, [message('uAlice', 'uBob', 'hi bob')]),
    ]);
    expect(user(conversations, 'bob').hasNewMessages).toBe(false);
  });
});
