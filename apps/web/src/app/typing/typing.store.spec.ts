import { TestBed } from '@angular/core/testing';
import { ChatEvent } from '@chat/contracts';
import { ALICE, type Chat, message, signedIn } from '../testing/chat-harness';

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
  jest.useFakeTimers();
});
afterEach(() => jest.useRealTimers());

/** What alice told the server, as `typing` values to bob. */
const sent = (chat: Chat, to = 'uBob') =>
  chat.socket.volatileSent
    .filter(
      (e) =>
        e.event === ChatEvent.Typing && (e.payload as { to: string }).to === to,
    )
    .map((e) => (e.payload as { typing: boolean }).typing);

describe('TypingStore: ours', () => {
  it('says true at the first keystroke, again every 10 s while writing, and false after 5 s without input', () => {
    const chat = signedIn();
    chat.conversations.select('uBob');
    chat.typing.draftChanged('uBob', 'h');
    expect(sent(chat)).toEqual([true]);
    // Keystrokes 3 s apart for 12 s: one refresh, at the first keystroke 10 s after the true.
    for (const text of ['he', 'hel', 'hell']) {
      jest.advanceTimersByTime(3_000);
      chat.typing.draftChanged('uBob', text);
    }
    expect(sent(chat)).toEqual([true]);
    jest.advanceTimersByTime(3_000);
    chat.typing.draftChanged('uBob', 'hello');
    expect(sent(chat)).toEqual([true, true]);
    jest.advanceTimersByTime(4_999);
    expect(sent(chat)).toEqual([true, true]);
    jest.advanceTimersByTime(1);
    expect(sent(chat)).toEqual([true, true, false]);
    // Writing again after the pause is a new start.
    chat.typing.draftChanged('uBob', 'hello!');
    expect(sent(chat)).toEqual([true, true, false, true]);
  });

  it('says false when the draft empties (a send empties it), once, and never without a true before', () => {
    const chat = signedIn();
    chat.conversations.select('uBob');
    chat.typing.draftChanged('uBob', '   ');
    chat.typing.stop();
    expect(sent(chat)).toEqual([]);
    chat.typing.draftChanged('uBob', 'hi');
    chat.typing.draftChanged('uBob', '');
    chat.typing.stop();
    jest.advanceTimersByTime(20_000);
    expect(sent(chat)).toEqual([true, false]);
  });

  it('says false to the conversation it leaves: another one opened, or none', () => {
    const chat = signedIn();
    chat.conversations.select('uBob');
    chat.typing.draftChanged('uBob', 'hi');
    chat.conversations.select('uCarol');
    TestBed.tick();
    expect(sent(chat)).toEqual([true, false]);
    chat.typing.draftChanged('uCarol', 'hey');
    chat.conversations.close();
    TestBed.tick();
    expect(sent(chat, 'uCarol')).toEqual([true, false]);
    // A draft reported for another user than the last one stops the last one first.
    chat.typing.draftChanged('uBob', 'a');
    chat.typing.draftChanged('uCarol', 'b');
    expect(sent(chat)).toEqual([true, false, true, false]);
  });

  it('says false when the tab closes (or reloads) while writing', () => {
    const chat = signedIn();
    chat.conversations.select('uBob');
    window.dispatchEvent(new Event('pagehide'));
    chat.typing.draftChanged('uBob', 'hi');
    window.dispatchEvent(new Event('pagehide'));
    expect(sent(chat)).toEqual([true, false]);
  });

  it('sends nothing while the link is down, and says true again at the first keystroke after a reconnect', () => {
    const chat = signedIn();
    chat.conversations.select('uBob');
    chat.typing.draftChanged('uBob', 'h');
    chat.socket.drop();
    chat.typing.draftChanged('uBob', 'hi');
    jest.advanceTimersByTime(10_000);
    chat.typing.draftChanged('uBob', 'hi there');
    expect(sent(chat)).toEqual([true]);
    chat.socket.connectOk();
    chat.socket.serverEmit(ChatEvent.Session, ALICE);
    chat.typing.draftChanged('uBob', 'hi there!');
    expect(sent(chat)).toEqual([true, true]);
  });

  it('says true at the next keystroke when the first one found the link down', () => {
    const chat = signedIn();
    chat.conversations.select('uBob');
    chat.socket.drop();
    chat.typing.draftChanged('uBob', 'h');
    // The link is back (before any session event).
    chat.socket.connectOk();
    chat.typing.draftChanged('uBob', 'hi');
    expect(sent(chat)).toEqual([true]);
  });

  it("paces its trues to the server's budget per recipient (2, refilled at 2 a second): a quick third one waits, then goes", () => {
    const chat = signedIn();
    chat.conversations.select('uBob');
    for (const text of ['Hel', 'Wait']) {
      chat.typing.draftChanged('uBob', text);
      chat.typing.draftChanged('uBob', '');
    }
    chat.typing.draftChanged('uBob', 'Well');
    expect(sent(chat)).toEqual([true, false, true, false]);
    // Another recipient has a budget of its own.
    chat.conversations.select('uCarol');
    chat.typing.draftChanged('uCarol', 'Hi');
    expect(sent(chat, 'uCarol')).toEqual([true]);
    chat.conversations.select('uBob');
    chat.typing.draftChanged('uBob', 'Well');
    jest.advanceTimersByTime(550);
    expect(sent(chat)).toEqual([true, false, true, false]);
    jest.advanceTimersByTime(20);
    expect(sent(chat)).toEqual([true, false, true, false, true]);
    chat.typing.draftChanged('uBob', '');
    expect(sent(chat)).toEqual([true, false, true, false, true, false]);
  });

  it('drops a paced true when the writing stops before it could go, and owes no false for it', () => {
    const chat = signedIn();
    chat.conversations.select('uBob');
    for (const text of ['a', 'b']) {
      chat.typing.draftChanged('uBob', text + '!');
      chat.typing.draftChanged('uBob', '');
    }
    chat.typing.draftChanged('uBob', 'c');
    chat.typing.draftChanged('uBob', '');
    jest.advanceTimersByTime(5_000);
    expect(sent(chat)).toEqual([true, false, true, false]);
  });
});

describe('TypingStore: the typing indicators setting', () => {
  it('off: says false to the one we write to, sends nothing more and shows nobody; on again: both ways again', () => {
    const chat = signedIn();
    chat.conversations.select('uBob');
    chat.typing.draftChanged('uBob', 'h');
    chat.socket.serverEmit(ChatEvent.Typing, {
      userID: 'uCarol',
      typing: true,
    });
    expect([...chat.typing.typingUserIDs()]).toEqual(['uCarol']);

    // Turned off on another device: the server says so to every tab.
    chat.socket.serverEmit(ChatEvent.Settings, {
      readReceipts: true,
      typing: false,
    });
    TestBed.tick();
    expect(sent(chat)).toEqual([true, false]);
    expect([...chat.typing.typingUserIDs()]).toEqual([]);
    chat.typing.draftChanged('uBob', 'hi');
    expect(sent(chat)).toEqual([true, false]);

    chat.socket.serverEmit(ChatEvent.Settings, {
      readReceipts: true,
      typing: true,
    });
    TestBed.tick();
    chat.typing.draftChanged('uBob', 'hi!');
    expect(sent(chat)).toEqual([true, false, true]);
    chat.socket.serverEmit(ChatEvent.Typing, {
      userID: 'uCarol',
      typing: true,
    });
    expect([...chat.typing.typingUserIDs()]).toEqual(['uCarol']);
  });
});

describe('TypingStore: theirs', () => {
  const typing = (chat: Chat, userID: string, value: boolean) =>
    chat.socket.serverEmit(ChatEvent.Typing, { userID, typing: value });
  const shown = (chat: Chat) => [...chat.typing.typingUserIDs()];

  it('shows who is writing until their false', () => {
    const chat = signedIn();
    typing(chat, 'uBob', true);
    typing(chat, 'uCarol', true);
    expect(shown(chat)).toEqual(['uBob', 'uCarol']);
    typing(chat, 'uBob', false);
    expect(shown(chat)).toEqual(['uCarol']);
  });

  it('clears an indicator 15 s after the last true (a stale one whose false was lost)', () => {
    const chat = signedIn();
    typing(chat, 'uBob', true);
    jest.advanceTimersByTime(10_000);
    typing(chat, 'uBob', true);
    jest.advanceTimersByTime(14_999);
    expect(shown(chat)).toEqual(['uBob']);
    jest.advanceTimersByTime(1);
    expect(shown(chat)).toEqual([]);
  });

  it('clears it when their message arrives (not when ours to them does)', () => {
    const chat = signedIn();
    typing(chat, 'uBob', true);
    chat.socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uAlice', 'uBob', 'from my other tab'),
    );
    expect(shown(chat)).toEqual(['uBob']);
    chat.socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uBob', 'uAlice', 'there'),
    );
    expect(shown(chat)).toEqual([]);
  });

  it('shows none while our link is down, and none from before a reconnect after it', () => {
    const chat = signedIn();
    typing(chat, 'uBob', true);
    chat.socket.drop();
    expect(shown(chat)).toEqual([]);
    chat.socket.connectOk();
    chat.socket.serverEmit(ChatEvent.Session, ALICE);
    expect(shown(chat)).toEqual([]);
    typing(chat, 'uBob', true);
    expect(shown(chat)).toEqual(['uBob']);
  });

  it('forgets them all when the identity ends', () => {
    const chat = signedIn();
    typing(chat, 'uBob', true);
    chat.connection.logout();
    chat.connection.selectUsername('alice');
    chat.socket.connectOk();
    expect(shown(chat)).toEqual([]);
  });
});
