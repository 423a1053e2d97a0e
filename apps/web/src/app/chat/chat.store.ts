import { Injectable, computed, inject } from '@angular/core';
import { ConnectionStore } from '../core/connection.store';
import { ConversationsStore } from '../conversations/conversations.store';
import { DirectoryStore } from '../directory/directory.store';
import { OutboxStore } from '../outbox/outbox.store';
import type { ChatError } from './chat.models';

/**
 * Every member of the chat's stores in one place, for the components and tests that still read
 * them here.
 */
@Injectable({ providedIn: 'root' })
export class ChatStore {
  private readonly connection = inject(ConnectionStore);
  private readonly directoryStore = inject(DirectoryStore);
  private readonly conversations = inject(ConversationsStore);
  private readonly outbox = inject(OutboxStore);

  readonly connectionState = this.connection.connectionState;
  readonly lastError = computed<ChatError | null>(() => {
    const refusal = this.connection.usernameError();
    return (
      this.outbox.lastFailure() ??
      (refusal ? { kind: 'username', message: refusal } : null)
    );
  });
  readonly selectedUserID = this.conversations.selectedUserID;
  readonly session = this.connection.session;
  readonly users = this.conversations.users;
  readonly searchText = this.directoryStore.searchText;
  readonly visibleUsers = this.conversations.visibleUsers;
  readonly directory = this.directoryStore.view;
  readonly self = this.conversations.self;
  readonly selectedUser = this.conversations.selectedUser;
  readonly view = this.connection.view;
  readonly usernameError = this.connection.usernameError;
  readonly sendFailure = this.outbox.sendFailure;

  constructor() {
    this.connection.resume();
  }

  selectUsername(name: string): boolean {
    return this.connection.selectUsername(name);
  }

  select(userID: string): void {
    this.conversations.select(userID);
  }

  loadMoreUsers(): void {
    this.directoryStore.loadMore();
  }

  searchUsers(text: string): void {
    this.directoryStore.search(text);
  }

  loadOlder(userID: string): boolean {
    return this.conversations.loadOlder(userID);
  }

  send(content: string): boolean {
    return this.outbox.send(content);
  }

  logout(): void {
    this.connection.logout();
  }
}
