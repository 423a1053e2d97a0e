import {
  DOCUMENT,
  DestroyRef,
  Injectable,
  computed,
  inject,
  signal,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import {
  ChatEvent,
  DEFAULT_SETTINGS,
  ErrorCode,
  type Settings,
  type SettingsAck,
  type SettingsInput,
} from '@chat/contracts';
import { CHAT_SOCKET, onChatEvent, unavailable } from '../core/chat-socket';
import { ConnectionStore } from '../core/connection.store';
import { Generation } from '../core/generation';
import { LOCAL_STORAGE, SafeStorage } from '../core/web-storage';

const ERROR_TEXT: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.RateLimited]: 'Too many changes: wait a moment and try again.',
  [ErrorCode.Unavailable]:
    'The server did not confirm the change. Check the connection and try again.',
};

/** localStorage key of this browser's notifications switch (`off` when turned off). */
export const NOTIFICATIONS_KEY = 'notifications';

/**
 * The user's settings. `readReceipts` and `typing` are the server's (`settings`, stored with the
 * session): every tab and device agrees, and the server applies them. A switch shows its new
 * position at once and goes back if the server refuses it or does not answer. `notifications`
 * belongs to this browser (the protocol has no such setting, and desktop notifications are a
 * device's matter, as in Signal or Slack): kept in localStorage, shared by its tabs.
 */
@Injectable({ providedIn: 'root' })
export class SettingsStore {
  private readonly socket = inject(CHAT_SOCKET);
  private readonly connection = inject(ConnectionStore);
  private readonly local = new SafeStorage(inject(LOCAL_STORAGE));

  /** As the server last said (`session`, `settings`, an acknowledgement). */
  private readonly stored = signal<Settings>({ ...DEFAULT_SETTINGS });
  /** Changes sent and not answered yet, shown meanwhile. */
  private readonly pending = signal<SettingsInput>({});
  private readonly failure = signal<ErrorCode | null>(null);
  private readonly notificationsOn = signal(this.readNotifications());
  /** Answers to changes made by an identity that has gone are ignored. */
  private readonly epoch = new Generation();
  private sent = 0;

  readonly settings = computed<Settings>(() => ({
    ...this.stored(),
    ...this.pending(),
  }));
  /** Read receipts: others see what we read, and we see what they read. */
  readonly readReceipts = computed(() => this.settings().readReceipts);
  /** Typing indicators, both ways. */
  readonly typingIndicators = computed(() => this.settings().typing);
  /** Desktop notifications on this browser (permission aside). */
  readonly notifications = this.notificationsOn.asReadonly();
  /** A change was sent and is not answered yet. */
  readonly saving = computed(() => Object.keys(this.pending()).length > 0);
  /** Why the last change did not apply (`unavailable`: no answer in time). */
  readonly error = this.failure.asReadonly();
  /** The same, in words. */
  readonly errorText = computed(() => {
    const error = this.failure();
    return error && (ERROR_TEXT[error] ?? `The change was refused: ${error}.`);
  });

  constructor() {
    this.connection.sessionStarted$
      .pipe(takeUntilDestroyed())
      .subscribe((session) => {
        if (session.settings) this.stored.set({ ...session.settings });
      });
    onChatEvent(ChatEvent.Settings, (settings) =>
      this.stored.set({ ...settings }),
    );
    this.connection.identityEnded$.pipe(takeUntilDestroyed()).subscribe(() => {
      this.epoch.next();
      this.stored.set({ ...DEFAULT_SETTINGS });
      this.pending.set({});
      this.failure.set(null);
    });
    // The switch turned in another tab of this browser.
    const window = inject(DOCUMENT).defaultView;
    const onStorage = (event: StorageEvent) => {
      if (event.key === NOTIFICATIONS_KEY)
        this.notificationsOn.set(event.newValue !== 'off');
    };
    window?.addEventListener('storage', onStorage);
    inject(DestroyRef).onDestroy(() =>
      window?.removeEventListener('storage', onStorage),
    );
  }

  setReadReceipts(on: boolean): void {
    this.change({ readReceipts: on });
  }

  setTypingIndicators(on: boolean): void {
    this.change({ typing: on });
  }

  /** A switch of the settings panel was turned. */
  set(
    setting: 'readReceipts' | 'typingIndicators' | 'notifications',
    on: boolean,
  ) {
    if (setting === 'readReceipts') this.setReadReceipts(on);
    else if (setting === 'typingIndicators') this.setTypingIndicators(on);
    else this.setNotifications(on);
  }

  setNotifications(on: boolean): void {
    this.notificationsOn.set(on);
    if (on) this.local.remove(NOTIFICATIONS_KEY);
    else this.local.set(NOTIFICATIONS_KEY, 'off');
  }

  /** Sends a change; the newest change of each setting is what shows until it is answered. */
  private change(input: SettingsInput): void {
    this.failure.set(null);
    this.pending.update((pending) => ({ ...pending, ...input }));
    const epoch = this.epoch.token();
    const request = ++this.sent;
    this.socket.emitWithAck(ChatEvent.Settings, input).then(
      (ack) => this.settle(epoch, request, ack),
      () => this.settle(epoch, request, unavailable()),
    );
  }

  private settle(epoch: number, request: number, ack: SettingsAck): void {
    if (!this.epoch.isCurrent(epoch)) return;
    if (ack.ok) this.stored.set({ ...ack.settings });
    else this.failure.set(ack.error);
    // Shown as sent until the newest change is answered; then the server's word stands.
    if (request === this.sent) this.pending.set({});
  }

  private readNotifications(): boolean {
    return this.local.get(NOTIFICATIONS_KEY) !== 'off';
  }
}
