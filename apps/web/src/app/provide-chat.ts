import {
  type EnvironmentProviders,
  inject,
  makeEnvironmentProviders,
  provideEnvironmentInitializer,
} from '@angular/core';
import { provideChatSocket } from './core/chat-socket';
import { ConnectionStore } from './core/connection.store';
import { ConversationsStore } from './conversations/conversations.store';
import { DirectoryStore } from './directory/directory.store';
import { NotificationsStore } from './notifications/notifications.store';
import { OutboxStore } from './outbox/outbox.store';
import { ReadStateStore } from './read-state/read-state.store';
import { ReceiptsStore } from './receipts/receipts.store';
import { SettingsStore } from './settings/settings.store';
import { TypingStore } from './typing/typing.store';

/** The chat: its one socket (ngx-socket-io) and its stores. */
export function provideChat(): EnvironmentProviders {
  return makeEnvironmentProviders([provideChatSocket(), provideChatStores()]);
}

/**
 * Every store of the chat, created at start, then a stored session resumes. A store subscribes
 * to its events when it is created, after the stores it injects: so every one listens before
 * anything connects, whichever a component asks for first. (Tests provide a fake socket and
 * these.)
 */
export function provideChatStores(): EnvironmentProviders {
  return makeEnvironmentProviders([
    provideEnvironmentInitializer(() => {
      inject(ConnectionStore);
      inject(SettingsStore);
      inject(DirectoryStore);
      inject(ReadStateStore);
      inject(ReceiptsStore);
      inject(ConversationsStore);
      inject(OutboxStore);
      inject(TypingStore);
      inject(NotificationsStore);
      inject(ConnectionStore).resume();
    }),
  ]);
}
