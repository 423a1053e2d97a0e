import {
  DOCUMENT,
  DestroyRef,
  Injectable,
  InjectionToken,
  computed,
  effect,
  inject,
  signal,
  untracked,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { Subject } from 'rxjs';
import { ConnectionStore } from '../core/connection.store';
import { LOCAL_STORAGE, SafeStorage } from '../core/web-storage';
import type { IncomingMessage } from '../conversations/conversation.models';
import { ConversationsStore } from '../conversations/conversations.store';
import { DirectoryStore } from '../directory/directory.store';
import { SettingsStore } from '../settings/settings.store';
import {
  type MutedChats,
  mutedChatsKey,
  parseMutedChats,
  serializeMutedChats,
} from './muted-chats';
import { VISIBLE_TAB_HEARTBEAT_MS, VisibleTab, newTabId } from './visible-tab';

/** A desktop notification as the store handles it. */
export interface ShownNotification {
  onclick: ((event: Event) => void) | null;
  onclose: ((event: Event) => void) | null;
  close(): void;
}

/** The browser's Notification API: the constructor and its permission. */
export interface NotificationApi {
  new (title: string, options?: NotificationOptions): ShownNotification;
  readonly permission: NotificationPermission;
  requestPermission(): Promise<NotificationPermission>;
}

/** The browser's `Notification`, or null where it has none. */
export const NOTIFICATION_API = new InjectionToken<NotificationApi | null>(
  'NotificationApi',
  {
    providedIn: 'root',
    factory: () =>
      (
        inject(DOCUMENT).defaultView as {
          Notification?: NotificationApi;
        } | null
      )?.Notification ?? null,
  },
);

/** Longest message text a notification shows. */
const BODY_MAX = 200;

/**
 * Desktop notifications: one for each message from someone else that arrives while this tab is
 * hidden, if the browser allows it (asked from a button, `requestPermission`), notifications are
 * on (SettingsStore) and the conversation is not muted. One per conversation (its `tag`): the next
 * replaces it. A click focuses the tab and opens the conversation (`opened$`, which the page
 * routes). Mutes are kept per identity in localStorage, shared by the browser's tabs; so is
 * which tab is on screen (VisibleTab): a hidden tab does not notify while another tab of the
 * same identity is visible.
 */
@Injectable({ providedIn: 'root' })
export class NotificationsStore {
  private readonly api = inject(NOTIFICATION_API);
  private readonly document = inject(DOCUMENT);
  private readonly connection = inject(ConnectionStore);
  private readonly conversations = inject(ConversationsStore);
  private readonly settings = inject(SettingsStore);
  private readonly local = new SafeStorage(inject(LOCAL_STORAGE));
  private readonly visibleTab = new VisibleTab(this.local, newTabId());

  private readonly permissionState = signal(this.readPermission());
  private readonly mutedChats = signal<MutedChats>(new Set());
  private readonly visible = signal(!this.hidden());
  /** What shows now, per conversation. */
  private readonly shown = new Map<string, ShownNotification>();
  private readonly opened = new Subject<string>();

  /** The browser's permission, `unsupported` where it has no notifications. */
  readonly permission = this.permissionState.asReadonly();
  /** The button that asks the browser's permission is worth showing. */
  readonly canAsk = computed(
    () => this.permissionState() === 'default' && this.settings.notifications(),
  );
  /** Conversations (by the other user's id) that notify nobody. */
  readonly muted = this.mutedChats.asReadonly();
  /** A notification was clicked: open the conversation with this user. */
  readonly opened$ = this.opened.asObservable();

  constructor() {
    this.conversations.incoming$
      .pipe(takeUntilDestroyed())
      .subscribe((incoming) => this.notify(incoming));
    this.connection.sessionStarted$
      .pipe(takeUntilDestroyed())
      .subscribe(({ userID }) => this.loadMuted(userID));
    this.connection.identityEnded$.pipe(takeUntilDestroyed()).subscribe(() => {
      this.closeAll();
      this.mutedChats.set(new Set());
    });
    inject(DirectoryStore)
      .forgotten$.pipe(takeUntilDestroyed())
      .subscribe((userID) => {
        if (this.mutedChats().has(userID)) this.setMuted(userID, false);
      });
    // The conversation on screen is read: its notification has done its work.
    effect(() => {
      const open = this.conversations.selectedUserID();
      if (open && this.visible()) untracked(() => this.close(open));
    });
    // While this tab is on screen, it says so to the others (a heartbeat: a closed tab goes quiet).
    effect((onCleanup) => {
      const selfID = this.connection.userID();
      if (!selfID || !this.visible()) return;
      untracked(() => this.visibleTab.claim(selfID));
      const heartbeat = setInterval(
        () => this.visibleTab.claim(selfID),
        VISIBLE_TAB_HEARTBEAT_MS,
      );
      onCleanup(() => {
        clearInterval(heartbeat);
        this.visibleTab.release(selfID);
      });
    });
    const window = this.document.defaultView;
    const onPageHide = () => {
      const selfID = this.connection.userID();
      if (selfID) this.visibleTab.release(selfID);
    };
    const onVisibility = () => {
      this.visible.set(!this.hidden());
      // The permission may have changed in the browser's settings meanwhile.
      this.permissionState.set(this.readPermission());
    };
    const onStorage = (event: StorageEvent) => {
      const selfID = this.connection.userID();
      if (selfID && event.key === mutedChatsKey(selfID)) this.loadMuted(selfID);
    };
    this.document.addEventListener('visibilitychange', onVisibility);
    window?.addEventListener('storage', onStorage);
    window?.addEventListener('pagehide', onPageHide);
    inject(DestroyRef).onDestroy(() => {
      this.document.removeEventListener('visibilitychange', onVisibility);
      window?.removeEventListener('storage', onStorage);
      window?.removeEventListener('pagehide', onPageHide);
      this.closeAll();
    });
  }

  /** Asks the browser for permission: call it from a click, browsers ignore it otherwise. */
  async requestPermission(): Promise<void> {
    if (!this.api) return;
    this.permissionState.set(await this.api.requestPermission());
  }

  /** Mutes (or unmutes) the conversation with `userID` on every tab of this browser. */
  setMuted(userID: string, muted: boolean): void {
    const selfID = this.connection.userID();
    if (!selfID || this.mutedChats().has(userID) === muted) return;
    const next = new Set(this.mutedChats());
    if (muted) next.add(userID);
    else next.delete(userID);
    this.mutedChats.set(next);
    if (next.size)
      this.local.set(mutedChatsKey(selfID), serializeMutedChats(next));
    else this.local.remove(mutedChatsKey(selfID));
    if (muted) this.close(userID);
  }

  private notify({ message, from }: IncomingMessage): void {
    const api = this.api;
    if (
      !api ||
      !this.hidden() ||
      this.permissionState() !== 'granted' ||
      !this.settings.notifications() ||
      this.mutedChats().has(message.from) ||
      this.visibleTab.elsewhere(message.to)
    )
      return;
    const userID = message.from;
    const title = from && !from.placeholder ? from.displayName : 'Someone new';
    const body =
      message.content.length > BODY_MAX
        ? `${message.content.slice(0, BODY_MAX)}…`
        : message.content;
    this.close(userID);
    let notification: ShownNotification;
    try {
      notification = new api(title, { body, tag: `chat:${userID}` });
    } catch {
      // Some browsers allow notifications from a service worker only: none then.
      return;
    }
    notification.onclick = () => {
      this.document.defaultView?.focus();
      this.opened.next(userID);
      notification.close();
    };
    notification.onclose = () => {
      if (this.shown.get(userID) === notification) this.shown.delete(userID);
    };
    this.shown.set(userID, notification);
  }

  private close(userID: string): void {
    const notification = this.shown.get(userID);
    if (!notification) return;
    this.shown.delete(userID);
    notification.close();
  }

  private closeAll(): void {
    for (const userID of [...this.shown.keys()]) this.close(userID);
  }

  private loadMuted(userID: string): void {
    this.mutedChats.set(parseMutedChats(this.local.get(mutedChatsKey(userID))));
  }

  private hidden(): boolean {
    return this.document.visibilityState === 'hidden';
  }

  private readPermission(): NotificationPermission | 'unsupported' {
    try {
      return this.api ? this.api.permission : 'unsupported';
    } catch {
      return 'unsupported';
    }
  }
}
