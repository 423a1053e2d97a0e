import { TestBed } from '@angular/core/testing';
import { ChatEvent, ErrorCode, type SettingsAck } from '@chat/contracts';
import {
  ALICE,
  type Chat,
  reload,
  settle,
  setup,
  signedIn,
} from '../testing/chat-harness';
import { NOTIFICATIONS_KEY, SettingsStore } from './settings.store';

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
});

const settingsSent = (chat: Chat) =>
  chat.socket.sent.filter((s) => s.event === ChatEvent.Settings);
const answer = (chat: Chat, index: number, ack: SettingsAck) =>
  settingsSent(chat)[index].ack(ack);

describe('SettingsStore', () => {
  it('starts with both server settings on and notifications on', () => {
    const { settings } = setup();
    expect(settings.readReceipts()).toBe(true);
    expect(settings.typingIndicators()).toBe(true);
    expect(settings.notifications()).toBe(true);
  });

  it('takes the settings the session carries', () => {
    const chat = setup();
    chat.connection.selectUsername('alice');
    chat.socket.connectOk();
    chat.socket.serverEmit(ChatEvent.Session, {
      ...ALICE,
      settings: { readReceipts: false, typing: true },
    });
    expect(chat.settings.readReceipts()).toBe(false);
    expect(chat.settings.typingIndicators()).toBe(true);
  });

  it('follows a change made on another tab or device (`settings` event)', () => {
    const { socket, settings } = signedIn();
    socket.serverEmit(ChatEvent.Settings, {
      readReceipts: true,
      typing: false,
    });
    expect(settings.typingIndicators()).toBe(false);
    expect(settings.readReceipts()).toBe(true);
  });

  it('sends a change and shows it at once, then as the server answers', async () => {
    const chat = signedIn();
    chat.settings.setReadReceipts(false);
    expect(settingsSent(chat).map((s) => s.payload)).toEqual([
      { readReceipts: false },
    ]);
    expect(chat.settings.readReceipts()).toBe(false);
    expect(chat.settings.saving()).toBe(true);
    answer(chat, 0, {
      ok: true,
      settings: { readReceipts: false, typing: true },
    });
    await settle();
    expect(chat.settings.readReceipts()).toBe(false);
    expect(chat.settings.saving()).toBe(false);
    expect(chat.settings.error()).toBeNull();
  });

  it('goes back when the server refuses or does not answer, and says why', async () => {
    const chat = signedIn();
    chat.settings.setTypingIndicators(false);
    answer(chat, 0, { ok: false, error: ErrorCode.RateLimited });
    await settle();
    expect(chat.settings.typingIndicators()).toBe(true);
    expect(chat.settings.error()).toBe(ErrorCode.RateLimited);

    chat.settings.setTypingIndicators(false);
    expect(chat.settings.error()).toBeNull();
    settingsSent(chat)[1].fail(new Error('timeout'));
    await settle();
    expect(chat.settings.typingIndicators()).toBe(true);
    expect(chat.settings.error()).toBe(ErrorCode.Unavailable);
  });

  it('shows the newest of two quick changes until that one is answered', async () => {
    const chat = signedIn();
    chat.settings.setReadReceipts(false);
    chat.settings.setReadReceipts(true);
    answer(chat, 0, {
      ok: true,
      settings: { readReceipts: false, typing: true },
    });
    await settle();
    expect(chat.settings.readReceipts()).toBe(true);
    answer(chat, 1, {
      ok: true,
      settings: { readReceipts: true, typing: true },
    });
    await settle();
    expect(chat.settings.readReceipts()).toBe(true);
    expect(chat.settings.saving()).toBe(false);
  });

  it('forgets the settings of an identity that ends, and answers that come after', async () => {
    const chat = signedIn();
    chat.socket.serverEmit(ChatEvent.Settings, {
      readReceipts: false,
      typing: false,
    });
    chat.settings.setTypingIndicators(true);
    chat.connection.logout();
    expect(chat.settings.readReceipts()).toBe(true);
    expect(chat.settings.typingIndicators()).toBe(true);
    answer(chat, 0, {
      ok: true,
      settings: { readReceipts: false, typing: true },
    });
    await settle();
    expect(chat.settings.readReceipts()).toBe(true);
  });

  it('keeps notifications per browser, over a reload, and follows another tab', () => {
    const { settings } = signedIn();
    settings.setNotifications(false);
    expect(localStorage.getItem(NOTIFICATIONS_KEY)).toBe('off');
    const again = reload([]).settings;
    expect(again.notifications()).toBe(false);

    again.setNotifications(true);
    expect(localStorage.getItem(NOTIFICATIONS_KEY)).toBeNull();
    window.dispatchEvent(
      new StorageEvent('storage', { key: NOTIFICATIONS_KEY, newValue: 'off' }),
    );
    expect(TestBed.inject(SettingsStore).notifications()).toBe(false);
  });
});
