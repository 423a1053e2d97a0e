import {
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { Title } from '@angular/platform-browser';
import { Router, RouterLink } from '@angular/router';
import { conversationLink } from '../app.routes';
import { ConnectionStore } from '../core/connection.store';
import type { IncomingMessage } from '../conversations/conversation.models';
import { ConversationsStore } from '../conversations/conversations.store';
import { MessagePanel } from '../conversations/message-panel/message-panel';
import { DirectoryStore } from '../directory/directory.store';
import { UserList } from '../directory/user-list/user-list';
import { NotificationsStore } from '../notifications/notifications.store';
import { OutboxStore } from '../outbox/outbox.store';
import { TypingStore } from '../typing/typing.store';
import {
  SettingsPanel,
  type SettingsView,
} from '../settings/settings-panel/settings-panel';
import { SettingsStore } from '../settings/settings.store';
import { Avatar } from '../ui/avatar/avatar';

/** The tab's title; with unread messages, their count first. */
export const APP_TITLE = 'Private chat';
/** Longest message text read out by the live region. */
const ANNOUNCED_MAX = 200;

/**
 * The chat: ourselves and the list on one side, the conversation the URL names on the other
 * (`/chat/:userID`, the `userID` input); on a phone one or the other, with a way back. It
 * composes the stores of the capabilities it shows; the components below only take inputs. New
 * messages from others are read out by a polite live region.
 */
@Component({
  selector: 'chat-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Avatar, MessagePanel, RouterLink, SettingsPanel, UserList],
  templateUrl: './chat-page.html',
  styleUrl: './chat-page.css',
})
export class ChatPage {
  /** The conversation the URL names (`/chat/:userID`), none at `/`. */
  readonly userID = input<string>();

  protected readonly connection = inject(ConnectionStore);
  protected readonly directory = inject(DirectoryStore);
  protected readonly conversations = inject(ConversationsStore);
  protected readonly outbox = inject(OutboxStore);
  protected readonly typing = inject(TypingStore);
  protected readonly notifications = inject(NotificationsStore);
  private readonly router = inject(Router);

  protected readonly settings = inject(SettingsStore);
  /** The settings dialog is open (its code loads then). */
  protected readonly settingsOpen = signal(false);
  protected readonly settingsView = computed<SettingsView>(() => ({
    readReceipts: this.settings.readReceipts(),
    typingIndicators: this.settings.typingIndicators(),
    notifications: this.settings.notifications(),
    notificationsBlocked: this.notifications.permission() === 'denied',
    saving: this.settings.saving(),
    error: this.settings.errorText(),
  }));
  /** What the live region says last. */
  protected readonly announcement = signal('');
  protected readonly self = this.conversations.self;
  protected readonly selfName = computed(
    () => this.self()?.displayName ?? this.connection.session()?.username ?? '',
  );

  constructor() {
    effect(() => {
      const userID = this.userID();
      untracked(() =>
        userID ? this.conversations.select(userID) : this.conversations.close(),
      );
    });
    const title = inject(Title);
    effect(() => {
      const unread = this.conversations.totalUnread();
      title.setTitle(unread > 0 ? `(${unread}) ${APP_TITLE}` : APP_TITLE);
    });
    this.conversations.incoming$
      .pipe(takeUntilDestroyed())
      .subscribe((incoming) => this.announce(incoming));
    // A notification clicked: its conversation opens.
    this.notifications.opened$
      .pipe(takeUntilDestroyed())
      .subscribe((userID) => this.router.navigate(conversationLink(userID)));
  }

  protected logout(): void {
    this.connection.logout();
    void this.router.navigateByUrl('/');
  }

  private announce({ message, from }: IncomingMessage): void {
    const name = from && !from.placeholder ? from.displayName : 'someone new';
    const text =
      message.content.length > ANNOUNCED_MAX
        ? `${message.content.slice(0, ANNOUNCED_MAX)}…`
        : message.content;
    this.announcement.set(
      this.conversations.selectedUserID() === message.from
        ? `${name}: ${text}`
        : `New message from ${name}: ${text}`,
    );
  }
}
