import type { ShownNotification } from '../notifications/notifications.store';

/**
 * A stand-in for the browser's `Notification` (jsdom has none): records what the app shows,
 * answers `requestPermission` with `answer`, and can be clicked.
 */
export class FakeNotification implements ShownNotification {
  static permission: NotificationPermission = 'default';
  static answer: NotificationPermission = 'granted';
  static requests = 0;
  static created: FakeNotification[] = [];

  static requestPermission(): Promise<NotificationPermission> {
    FakeNotification.requests++;
    FakeNotification.permission = FakeNotification.answer;
    return Promise.resolve(FakeNotification.answer);
  }

  static reset(): void {
    FakeNotification.permission = 'default';
    FakeNotification.answer = 'granted';
    FakeNotification.requests = 0;
    FakeNotification.created = [];
  }

  onclick: ((event: Event) => void) | null = null;
  onclose: ((event: Event) => void) | null = null;
  closed = false;

  constructor(
    readonly title: string,
    readonly options?: NotificationOptions,
  ) {
    FakeNotification.created.push(this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.(new Event('close'));
  }

  click(): void {
    this.onclick?.(new Event('click'));
  }
}

/** The tab becomes hidden or visible, as the browser tells it (`visibilitychange`). */
export function setVisibility(state: DocumentVisibilityState): void {
  Object.defineProperty(document, 'visibilityState', {
    configurable: true,
    get: () => state,
  });
  document.dispatchEvent(new Event('visibilitychange'));
}
