import {
  DestroyRef,
  Injectable,
  computed,
  inject,
  signal,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import {
  ChatEvent,
  ErrorCode,
  MESSAGE_MAX_LENGTH,
  type UserView,
  validatePrivateMessage,
} from '@chat/contracts';
import { CHAT_CONFIG } from '../core/chat-config';
import { CHAT_SOCKET, unavailable } from '../core/chat-socket';
import { ConnectionStore } from '../core/connection.store';
import { SESSION_STORAGE } from '../core/web-storage';
import type { ChatMessage } from '../conversations/conversation.models';
import { ConversationsStore } from '../conversations/conversations.store';
import { DirectoryStore } from '../directory/directory.store';
import { type PendingSend, PendingSends } from '../outbox/pending-sends';
import { SavedSendsStorage } from '../outbox/saved-sends';
import type { ChatError, SendFailure } from './chat.models';

const SEND_ERROR_TEXT: Record<ErrorCode, string> = {
  [ErrorCode.InvalidPayload]: 'The message was refused as invalid.',
  [ErrorCode.UnknownRecipient]: 'This user is unknown to the server.',
  [ErrorCode.TooLarge]: `The message is too long (at most ${MESSAGE_MAX_LENGTH} characters).`,
  [ErrorCode.RateLimited]: 'Too many messages: wait a moment and try again.',
  [ErrorCode.Unavailable]:
    'The server did not confirm the message after several attempts.',
};

/**
 * The sends on their way, and every other member of the chat's stores in one place for the
 * components and tests that still read them here.
 */
@Injectable({ providedIn: 'root' })
export class ChatStore {
  private readonly socket = inject(CHAT_SOCKET);
  private readonly config = inject(CHAT_CONFIG);
  private readonly connection = inject(ConnectionStore);
  private readonly directoryStore = inject(DirectoryStore);
  private readonly conversations = inject(ConversationsStore);
  private readonly destroyRef = inject(DestroyRef);
  /** Pending sends kept across a reload of this tab (sessionStorage). */
  private readonly savedSends = new SavedSendsStorage(inject(SESSION_STORAGE));
  private readonly error = signal<SendFailure | null>(null);

  /**
   * Our messages on their way: sent again (same `clientMessageId`) after a lost link or an
   * unanswered attempt, until stored, refused, or given up on. Its emits go through our socket.
   */
  private readonly pendingSends = new PendingSends({
    send: (input) =>
      this.socket
        .emitWithAck(ChatEvent.PrivateMessage, input)
        .catch(unavailable),
    isConnected: () => this.connection.connected(),
    delivered: (send, message) =>
      this.conversations.settlePending(send.to, send.localId, message),
    failed: (send, code) => {
      this.conversations.settlePending(send.to, send.localId, null);
      this.failSend(send.to, send.content, code);
    },
    save: (sends) => {
      const userID = this.connection.ownerID();
      if (userID) this.savedSends.write({ userID, sends });
      else this.savedSends.clear();
    },
    config: this.config,
  });

  readonly connectionState = this.connection.connectionState;
  readonly lastError = computed<ChatError | null>(() => {
    const refusal = this.connection.usernameError();
    return (
      this.error() ?? (refusal ? { kind: 'username', message: refusal } : null)
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
  /** A failed send, only while its conversation is the one on screen. */
  readonly sendFailure = computed<SendFailure | null>(() => {
    const error = this.error();
    return error?.to === this.selectedUserID() ? error : null;
  });

  constructor() {
    this.conversations.replays$
      .pipe(takeUntilDestroyed())
      .subscribe((views) => this.onReplay(views));
    this.directoryStore.forgotten$
      .pipe(takeUntilDestroyed())
      .subscribe((userID) => {
        // Sends to them could only fail as `unknown recipient`: dropped, never sent again.
        this.pendingSends.forgetRecipient(userID);
        // A failed send to them could only be shown in their conversation.
        if (this.error()?.to === userID) this.error.set(null);
      });
    this.connection.identityEnded$
      .pipe(takeUntilDestroyed())
      .subscribe((end) => {
        if (end === 'signed-out') this.error.set(null);
        this.pendingSends.forget();
      });
    this.destroyRef.onDestroy(() => this.pendingSends.dispose());
    this.resume();
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

  /**
   * Sends to the selected user. The message shows at once as pending and is replaced by the
   * stored one when the server acknowledges it (the server echoes only to our other tabs).
   * Unanswered, it stays pending and is sent again (see `PendingSends`); refused or given up on,
   * it is removed with a `sendFailure`. False if nothing was sent. After a reload, before the
   * server says who we are, it joins the restored sends (and shares their fate).
   */
  send(content: string): boolean {
    const to = this.selectedUserID();
    const selfID = this.connection.ownerID();
    if (!to || !selfID) return false;
    const valid = validatePrivateMessage({ content, to });
    if (!valid.ok) {
      this.failSend(to, content, valid.error);
      return false;
    }
    this.error.set(null);
    const peer = this.directoryStore.find(to);
    // Its acknowledgement comes asynchronously, after the pending message is shown.
    const send = this.pendingSends.add(
      to,
      content,
      peer && !peer.placeholder ? peer.username : undefined,
    );
    this.showPending(selfID, send);
    return true;
  }

  logout(): void {
    this.connection.logout();
  }

  /**
   * A stored session reconnects at once: a reload keeps identity and conversations, and the sends
   * still pending show again (they go after the replay, if it does not show them stored).
   */
  private resume(): void {
    if (!this.connection.hasStoredSession()) {
      // Logged out meanwhile (another tab): they belong to no one here.
      this.savedSends.clear();
      return;
    }
    const saved = this.savedSends.read();
    if (saved) {
      this.connection.assume(saved.userID);
      for (const send of this.pendingSends.restore(saved.sends))
        this.showPending(saved.userID, send);
    }
    this.connection.resume();
  }

  /**
   * A send of ours the replay holds already (stored, its acknowledgement lost: same
   * `clientMessageId`) is delivered at once, its pending copy gone and never sent again; the
   * others go again.
   */
  private onReplay(views: readonly UserView[]): void {
    const selfID = this.connection.userID();
    if (selfID)
      for (const view of views)
        for (const message of view.messages ?? [])
          if (message.from === selfID && message.clientMessageId !== undefined)
            this.pendingSends.confirm(message);
    this.pendingSends.resume();
  }

  private showPending(from: string, send: PendingSend): void {
    const pending: ChatMessage = {
      id: send.localId,
      content: send.content,
      from,
      to: send.to,
      at: new Date(send.createdAt).toISOString(),
      fromSelf: true,
      pending: true,
      clientMessageId: send.clientMessageId,
    };
    this.conversations.showPending(pending, send.toName);
  }

  private failSend(to: string, content: string, code: ErrorCode): void {
    this.error.set({
      kind: 'send',
      to,
      content,
      code,
      message: SEND_ERROR_TEXT[code] ?? `Not sent: ${code}.`,
    });
  }
}
