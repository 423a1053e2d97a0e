import { TestBed } from '@angular/core/testing';
import { ChatEvent } from '@chat/contracts';
import { ALICE, createChat, message, view } from '../testing/chat-harness';
import { FakeNotification, setVisibility } from '../testing/fake-notification';
import { mutedChatsKey } from './muted-chats';
import { NOTIFICATION_API, NotificationsStore } from './notifications.store';
import {
  VISIBLE_TAB_FRESH_MS,
  VISIBLE_TAB_HEARTBEAT_MS,
  visibleTabKey,
} from './visible-tab';

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
  FakeNotification.reset();
  setVisibility('visible');
});
afterEach(() => setVisibility('visible'));

/** alice signs in with bob and carol known; the browser's Notification is the fake (or none). */
function signedIn(api: typeof FakeNotification | null = FakeNotification) {
  const chat = createChat({
    providers: [{ provide: NOTIFICATION_API, useValue: api }],
  });
  chat.connection.selectUsername('alice');
  chat.socket.connectOk();
  chat.socket.serverEmit(ChatEvent.Session, ALICE);
  chat.socket.serverEmit(ChatEvent.Users, [
    view(ALICE.userID, 'alice'),
    view('uBob', 'bob'),
    view('uCarol', 'carol'),
  ]);
  return chat;
}
type Chat = ReturnType<typeof signedIn>;

const fromBob = (chat: Chat, content: string) =>
  chat.socket.serverEmit(
    ChatEvent.PrivateMessage,
    message('uBob', ALICE.userID, content),
  );
const shown = () =>
  FakeNotification.created
    .filter((n) => !n.closed)
    .map((n) => [n.title, n.options?.body, n.options?.tag]);

describe('NotificationsStore: permission', () => {
  it('never asks by itself; asks when told (a click), and the prompt goes once answered', async () => {
    const { notifications } = signedIn();
    expect(FakeNotification.requests).toBe(0);
    expect(notifications.permission()).toBe('default');
    expect(notifications.canAsk()).toBe(true);
    FakeNotification.answer = 'denied';
    await notifications.requestPermission();
    expect(FakeNotification.requests).toBe(1);
    expect(notifications.permission()).toBe('denied');
    expect(notifications.canAsk()).toBe(false);
  });

  it('offers nothing where the browser has no notifications, or while they are off in the settings', () => {
    expect(signedIn(null).notifications.permission()).toBe('unsupported');
    expect(TestBed.inject(NotificationsStore).canAsk()).toBe(false);
    TestBed.resetTestingModule();
    const { notifications, settings } = signedIn();
    settings.setNotifications(false);
    expect(notifications.canAsk()).toBe(false);
  });
});

describe('NotificationsStore: a message while the tab is hidden', () => {
  beforeEach(() => (FakeNotification.permission = 'granted'));

  it('notifies, one per conversation: the next one replaces it', () => {
    const chat = signedIn();
    fromBob(chat, 'seen on screen');
    expect(FakeNotification.created).toEqual([]);
    setVisibility('hidden');
    fromBob(chat, 'hello');
    fromBob(chat, 'are you there?');
    chat.socket.serverEmit(
      ChatEvent.PrivateMessage,
      message('uCarol', ALICE.userID, 'hi from carol'),
    );
    expect(shown()).toEqual([
      ['bob', 'are you there?', 'chat:uBob'],
      ['carol', 'hi from carol', 'chat:uCarol'],
    ]);
    expect(FakeNotification.created).toHaveLength(3);
  });

  it('does not notify of our own messages from another tab, nor of a replay after a reconnect', () => {
    const chat = signedIn();
    setVisibility('hidden');
    chat.socket.serverEmit(
      ChatEvent.PrivateMessage,
      message(ALICE.userID, 'uBob', 'written in another tab'),
    );
    chat.socket.drop();
    chat.socket.connectOk();
    chat.socket.serverEmit(ChatEvent.Session, ALICE);
    chat.socket.serverEmit(ChatEvent.Users, [
      view(ALICE.userID, 'alice'),
      view('uBob', 'bob', true, [message('uBob', ALICE.userID, 'replayed')]),
    ]);
    expect(FakeNotification.created).toEqual([]);
    // A positive control: a live one still notifies.
    fromBob(chat, 'live');
    expect(shown()).toEqual([['bob', 'live', 'chat:uBob']]);
  });

  it('does not notify while notifications are off in the settings, or without the permission', () => {
    const chat = signedIn();
    setVisibility('hidden');
    chat.settings.setNotifications(false);
    fromBob(chat, 'off');
    FakeNotification.permission = 'denied';
    chat.settings.setNotifications(true);
    setVisibility('visible');
    setVisibility('hidden');
    fromBob(chat, 'denied');
    expect(FakeNotification.created).toEqual([]);
    FakeNotification.permission = 'granted';
    setVisibility('visible');
    setVisibility('hidden');
    fromBob(chat, 'granted in the browser meanwhile');
    expect(shown()).toEqual([
      ['bob', 'granted in the browser meanwhile', 'chat:uBob'],
    ]);
  });

  it('shortens a long message', () => {
    const chat = signedIn();
    setVisibility('hidden');
    fromBob(chat, 'x'.repeat(500));
    expect(FakeNotification.created[0].options?.body).toBe(
      `${'x'.repeat(200)}…`,
    );
  });

  it('a click focuses the tab and opens the conversation', () => {
    const chat = signedIn();
    const opened: string[] = [];
    chat.notifications.opened$.subscribe((id) => opened.push(id));
    const focus = jest
      .spyOn(window, 'focus')
      .mockImplementation(() => undefined);
    setVisibility('hidden');
    fromBob(chat, 'hello');
    FakeNotification.created[0].click();
    expect(focus).toHaveBeenCalled();
    expect(opened).toEqual(['uBob']);
    expect(shown()).toEqual([]);
    focus.mockRestore();
  });

  it('goes when its conversation is on screen in a visible tab', () => {
    const chat = signedIn();
    chat.conversations.select('uBob');
    setVisibility('hidden');
    fromBob(chat, 'hello');
    TestBed.tick();
    expect(shown()).toHaveLength(1);
    setVisibility('visible');
    TestBed.tick();
    expect(shown()).toEqual([]);
  });
});

describe('NotificationsStore: several tabs of this browser', () => {
  beforeEach(() => (FakeNotification.permission = 'granted'));
  const key = visibleTabKey(ALICE.userID);
  /** Another tab of alice's, on screen since `at`, as it writes it. */
  const otherTabVisible = (at = Date.now()) =>
    localStorage.setItem(key, JSON.stringify({ tab: 'other-tab', at }));

  it('says it is on screen while it is, again every few seconds, and lets go once hidden', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      signedIn();
      TestBed.tick();
      const claim = () => JSON.parse(localStorage.getItem(key) ?? 'null');
      const first = claim();
      expect(first).toEqual({ tab: expect.any(String), at: 1_000_000 });
      jest.advanceTimersByTime(VISIBLE_TAB_HEARTBEAT_MS);
      expect(claim()).toEqual({
        ...first,
        at: 1_000_000 + VISIBLE_TAB_HEARTBEAT_MS,
      });
      setVisibility('hidden');
      TestBed.tick();
      expect(localStorage.getItem(key)).toBeNull();
      // Another tab's claim is never taken away by this one.
      otherTabVisible();
      setVisibility('visible');
      TestBed.tick();
      setVisibility('hidden');
      TestBed.tick();
      otherTabVisible(5);
      window.dispatchEvent(new Event('pagehide'));
      expect(claim()).toEqual({ tab: 'other-tab', at: 5 });
    } finally {
      jest.useRealTimers();
    }
  });

  it('leaves notifying to a visible tab of the same user, until it hides or goes quiet', () => {
    const chat = signedIn();
    setVisibility('hidden');
    TestBed.tick();
    otherTabVisible();
    fromBob(chat, 'seen in the other tab');
    expect(FakeNotification.created).toEqual([]);
    // Its claim grows old: closed or crashed without a word.
    otherTabVisible(Date.now() - VISIBLE_TAB_FRESH_MS - 1);
    fromBob(chat, 'nobody looking');
    expect(shown()).toEqual([['bob', 'nobody looking', 'chat:uBob']]);
    otherTabVisible();
    localStorage.removeItem(key);
    fromBob(chat, 'hidden again');
    expect(shown()).toEqual([['bob', 'hidden again', 'chat:uBob']]);
    // Another user's tab on screen is no reason to keep quiet.
    localStorage.setItem(
      visibleTabKey('uSomeoneElse'),
      JSON.stringify({ tab: 'other-tab', at: Date.now() }),
    );
    fromBob(chat, 'for alice');
    expect(shown()).toEqual([['bob', 'for alice', 'chat:uBob']]);
  });
});

describe('NotificationsStore: muted conversations', () => {
  beforeEach(() => (FakeNotification.permission = 'granted'));

  it('notify nobody, stay muted after a reload (per identity), and notify again once unmuted', () => {
    let chat = signedIn();
    setVisibility('hidden');
    fromBob(chat, 'before');
    chat.notifications.setMuted('uBob', true);
    // Muting closes what shows.
    expect(shown()).toEqual([]);
    fromBob(chat, 'muted');
    expect(FakeNotification.created).toHaveLength(1);
    expect(
      JSON.parse(localStorage.getItem(mutedChatsKey(ALICE.userID)) ?? ''),
    ).toEqual(['uBob']);

    TestBed.resetTestingModule();
    chat = signedIn();
    expect([...chat.notifications.muted()]).toEqual(['uBob']);
    fromBob(chat, 'still muted');
    expect(FakeNotification.created).toHaveLength(1);
    chat.notifications.setMuted('uBob', false);
    fromBob(chat, 'unmuted');
    expect(shown()).toEqual([['bob', 'unmuted', 'chat:uBob']]);
    expect(localStorage.getItem(mutedChatsKey(ALICE.userID))).toBeNull();
  });

  it('follow a change made in another tab, and are forgotten with their user', () => {
    const chat = signedIn();
    const key = mutedChatsKey(ALICE.userID);
    localStorage.setItem(key, JSON.stringify(['uCarol']));
    window.dispatchEvent(
      new StorageEvent('storage', { key, newValue: '["uCarol"]' }),
    );
    expect([...chat.notifications.muted()]).toEqual(['uCarol']);
    chat.socket.serverEmit(ChatEvent.UserForgotten, { userID: 'uCarol' });
    expect([...chat.notifications.muted()]).toEqual([]);
    expect(localStorage.getItem(key)).toBeNull();
  });
});
