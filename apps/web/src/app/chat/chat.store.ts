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
  type FetchMessagesAck,
  type FetchUsersAck,
  type FetchUsersInput,
  type Message,
  type UserView,
  validatePrivateMessage,
} from '@chat/contracts';
import { ConnectionStore, type IdentityEnd } from '../core/connection.store';
import { Generation } from '../core/generation';
import { CHAT_CONFIG } from '../core/chat-config';
import { CHAT_SOCKET, onChatEvent } from '../core/chat-socket';
import type {
  ChatError,
  ChatMessage,
  ChatUser,
  SendFailure,
} from './chat.models';
import {
  mergeMessages,
  mergeReplay,
  newestStoredId,
  oldestStoredId,
} from '../conversations/history';
import { type PendingSend, PendingSends } from '../outbox/pending-sends';
import { hasUnread } from '../read-state/read-marks';
import { ReadStateStore } from '../read-state/read-state.store';
import { SavedSendsStorage } from '../outbox/saved-sends';
import { UserDirectory } from '../directory/user-directory';
import { SESSION_STORAGE } from '../core/web-storage';
import {
  type UserState,
  compareUsers,
  mergeUserViews,
} from '../directory/people';

const SEND_ERROR_TEXT: Record<ErrorCode, string> = {
  [ErrorCode.InvalidPayload]: 'The message was refused as invalid.',
  [ErrorCode.UnknownRecipient]: 'This user is unknown to the server.',
  [ErrorCode.TooLarge]: `The message is too long (at most ${MESSAGE_MAX_LENGTH} characters).`,
  [ErrorCode.RateLimited]: 'Too many messages: wait a moment and try again.',
  [ErrorCode.Unavailable]:
    'The server did not confirm the message after several attempts.',
};

const OLDER_ERROR_TEXT = 'Earlier messages could not be loaded.';
const OLDER_OFFLINE_TEXT =
  'Earlier messages cannot be loaded while the connection is down.';
const OLDER_RATE_LIMITED_TEXT =
  'Too many requests for earlier messages: wait a moment and try again.';

/**
 * The chat's state and the only code that talks to the socket. Components read signals and call
 * the methods; every update builds new arrays and objects so OnPush views and `computed` see it.
 */
@Injectable({ providedIn: 'root' })
export class ChatStore {
  private readonly socket = inject(CHAT_SOCKET);
  private readonly config = inject(CHAT_CONFIG);
  private readonly connection = inject(ConnectionStore);
  private readonly readState = inject(ReadStateStore);
  private readonly destroyRef = inject(DestroyRef);
  /** Pending sends kept across a reload of this tab (sessionStorage). */
  private readonly savedSends = new SavedSendsStorage(inject(SESSION_STORAGE));

  private readonly usersState = signal<readonly UserState[]>([]);
  private readonly selectedID = signal<string | null>(null);
  private readonly error = signal<SendFailure | null>(null);

  /** Moves on when the identity goes: answers to requests of the old one are then ignored. */
  private readonly epoch = new Generation();

  /**
   * The paged directory, server search and look-ups of unknown senders. It asks through our
   * `fetchUsers` (the socket stays ours) and hands the users it gets back to `usersState`.
   */
  private readonly userDirectory = new UserDirectory({
    fetchUsers: (input) => this.fetchUsers(input),
    merge: (views, listed) =>
      this.usersState.update((users) =>
        mergeUserViews(users, views, {
          selfID: this.connection.userID(),
          selfConnected: this.connection.connected(),
          listed,
        }),
      ),
    gone: (userIDs) => {
      for (const userID of userIDs) this.onUserForgotten(userID);
    },
    isConnected: () => this.connection.connected(),
    config: this.config,
  });

  /**
   * Our messages on their way: sent again (same `clientMessageId`) after a lost link or an
   * unanswered attempt, until stored, refused, or given up on. Its emits go through our socket.
   */
  private readonly pendingSends = new PendingSends({
    send: (input) =>
      this.socket
        .emitWithAck(ChatEvent.PrivateMessage, input)
        .catch(() => ({ ok: false, error: ErrorCode.Unavailable })),
    isConnected: () => this.connection.connected(),
    delivered: (send, message) => this.settleSend(send, message),
    failed: (send, code) => {
      this.settleSend(send, null);
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
  readonly selectedUserID = this.selectedID.asReadonly();
  readonly session = this.connection.session;

  /** Everyone known here (search results too), sorted for display. */
  private readonly known = computed(() => {
    const marks = this.readState.readMarks();
    // Our own presence is our link's, whatever the server said last.
    const connected = this.connection.connected();
    return this.usersState()
      .map((user) => ({
        ...user,
        connected: user.self ? connected : user.connected,
        hasNewMessages: hasUnread(user.messages, marks.get(user.userID)),
      }))
      .sort(compareUsers);
  });
  /**
   * The list: self first, then by username; unread where a message from them is newer than the
   * mark. Self, the conversations, and the directory's pages loaded so far.
   */
  readonly users = computed<readonly ChatUser[]>(() =>
    this.known().filter((user) => user.listed),
  );
  /** What the user search field holds. */
  readonly searchText = this.userDirectory.searchText;
  /** The list, or while searching the users known here or found by the server whose name starts with it. */
  readonly visibleUsers = computed<readonly ChatUser[]>(() => {
    const query = this.userDirectory.query().toLowerCase();
    if (!query) return this.users();
    const found = this.userDirectory.foundIDs();
    return this.known().filter(
      (user) =>
        found.has(user.userID) ||
        (!user.placeholder && user.username.toLowerCase().startsWith(query)),
    );
  });
  /** Where the listing on screen stands: more pages, one on its way, a failure. */
  readonly directory = this.userDirectory.view;
  readonly self = computed(() => this.users().find((user) => user.self));
  readonly selectedUser = computed(() => {
    const id = this.selectedID();
    return this.users().find((user) => user.userID === id);
  });

  readonly view = this.connection.view;
  readonly usernameError = this.connection.usernameError;
  /** A failed send, only while its conversation is the one on screen. */
  readonly sendFailure = computed<SendFailure | null>(() => {
    const error = this.error();
    return error?.to === this.selectedID() ? error : null;
  });

  constructor() {
    onChatEvent(ChatEvent.Users, (users) => this.onUsers(users));
    onChatEvent(ChatEvent.UserConnected, (user) => this.onUserConnected(user));
    onChatEvent(ChatEvent.UserDisconnected, (userID) =>
      this.onUserDisconnected(userID),
    );
    onChatEvent(ChatEvent.PrivateMessage, (message) => this.onMessage(message));
    onChatEvent(ChatEvent.UserForgotten, ({ userID }) =>
      this.onUserForgotten(userID),
    );
    this.connection.identityEnded$
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe((end) => this.onIdentityEnded(end));
    this.destroyRef.onDestroy(() => {
      this.userDirectory.dispose();
      this.pendingSends.dispose();
    });
    this.resume();
  }

  selectUsername(name: string): boolean {
    return this.connection.selectUsername(name);
  }

  /**
   * Opens a conversation and marks it as read (so does every message arriving while open).
   * A user found by a search joins the list.
   */
  select(userID: string): void {
    this.updateUser(userID, (user) =>
      user.listed ? user : { ...user, listed: true },
    );
    this.selectedID.set(userID);
    this.markRead(userID);
  }

  /**
   * Asks for the next page of the listing on screen (the directory, or the search), or again for
   * the one that failed. One page request is in flight at a time; the others wait their turn.
   */
  loadMoreUsers(): void {
    this.userDirectory.loadMore();
  }

  /**
   * The search field changed: users known here that match show at once, the server's matches
   * once typing pauses (answers to an older text are ignored). Empty: back to the list.
   */
  searchUsers(text: string): void {
    this.userDirectory.search(text);
  }

  /**
   * Asks the server for the page of the conversation with `userID` before the oldest message
   * loaded, and prepends it when it comes. One request at a time per conversation; a failure
   * leaves `olderError` and the next call retries. False if nothing was asked.
   */
  loadOlder(userID: string): boolean {
    const user = this.usersState().find((u) => u.userID === userID);
    if (!user?.hasMoreMessages || user.loadingOlder) return false;
    const before = oldestStoredId(user.messages);
    if (!before) return false;
    if (!this.connection.connected()) {
      this.updateUser(userID, (u) => ({
        ...u,
        olderError: OLDER_OFFLINE_TEXT,
      }));
      return false;
    }
    const epoch = this.epoch.token();
    this.updateUser(userID, (u) => ({
      ...u,
      loadingOlder: true,
      olderError: null,
    }));
    this.socket.emitWithAck(ChatEvent.FetchMessages, { userID, before }).then(
      (ack) => this.settleOlder(epoch, userID, before, ack),
      () =>
        this.settleOlder(epoch, userID, before, {
          ok: false,
          error: ErrorCode.Unavailable,
        }),
    );
    return true;
  }

  /**
   * Sends to the selected user. The message shows at once as pending and is replaced by the
   * stored one when the server acknowledges it (the server echoes only to our other tabs).
   * Unanswered, it stays pending and is sent again (see `PendingSends`); refused or given up on,
   * it is removed with a `sendFailure`. False if nothing was sent. After a reload, before the
   * server says who we are, it joins the restored sends (and shares their fate).
   */
  send(content: string): boolean {
    const to = this.selectedID();
    const selfID = this.connection.ownerID();
    if (!to || !selfID) return false;
    const valid = validatePrivateMessage({ content, to });
    if (!valid.ok) {
      this.failSend(to, content, valid.error);
      return false;
    }
    this.error.set(null);
    const peer = this.usersState().find((user) => user.userID === to);
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

  /** Nothing of an identity that ends stays (a new one keeps the search text). */
  private onIdentityEnded(end: IdentityEnd): void {
    this.epoch.next();
    this.usersState.set([]);
    this.selectedID.set(null);
    if (end === 'signed-out') {
      this.error.set(null);
      this.userDirectory.reset();
    } else {
      this.userDirectory.forget();
    }
    this.pendingSends.forget();
  }

  /**
   * Self and our conversations replace the list, and the directory starts again from its first
   * page. Conversations merge by id: older pages loaded and pending sends survive a reconnect.
   * What arrived while we were away is unread by the marks, not by us. Users held beyond these
   * (the one on screen, pending sends) stay and are looked up again, for their presence. A send
   * of ours the replay holds already (stored, its acknowledgement lost: same `clientMessageId`) is
   * delivered at once, its pending copy gone and never sent again; the others go again.
   */
  private onUsers(users: readonly UserView[]): void {
    const selfID = this.connection.userID();
    const known = new Map(this.usersState().map((user) => [user.userID, user]));
    const replayed = new Set(users.map((view) => view.userID));
    const kept = this.usersState().filter(
      (user) =>
        !replayed.has(user.userID) &&
        (user.userID === this.selectedID() || user.messages.length > 0),
    );
    this.usersState.set([
      ...kept.map((user) => ({ ...user, listed: true })),
      ...users.map((view): UserState => {
        const previous = known.get(view.userID);
        const self = view.userID === selfID;
        const incoming = (view.messages ?? []).map((m) =>
          toChatMessage(m, selfID),
        );
        return {
          userID: view.userID,
          username: view.username,
          self,
          connected: view.connected,
          ...mergeReplay(previous, incoming, view.hasMoreMessages ?? false),
          loadingOlder: previous?.loadingOlder ?? false,
          olderError: previous?.olderError ?? null,
          placeholder: false,
          listed: true,
        };
      }),
    ]);
    if (selfID)
      for (const view of users)
        for (const message of view.messages ?? [])
          if (message.from === selfID && message.clientMessageId !== undefined)
            this.pendingSends.confirm(message);
    this.markSelectedRead();
    this.userDirectory.restart();
    this.userDirectory.lookUp(kept.map((user) => user.userID));
    this.pendingSends.resume();
  }

  private onUserConnected(view: UserView): void {
    const selfID = this.connection.userID();
    const incoming = (view.messages ?? []).map((m) => toChatMessage(m, selfID));
    const existing = this.usersState().some((u) => u.userID === view.userID);
    this.userDirectory.notePresence(view.userID, true);
    if (existing) {
      // A known user coming back (or one of our own other tabs): update, never duplicate.
      this.updateUser(view.userID, (user) => ({
        ...user,
        username: view.username,
        connected: true,
        messages: mergeMessages(user.messages, incoming),
      }));
      this.markSelectedRead();
      return;
    }
    // With more directory pages to come, the server tells us only of users we asked for: the
    // answer that lists them is on its way and will find this presence.
    if (this.userDirectory.hasNextPage()) return;
    this.usersState.update((users) => [
      ...users,
      {
        userID: view.userID,
        username: view.username,
        self: view.userID === selfID,
        connected: true,
        messages: mergeMessages([], incoming),
        hasMoreMessages: view.hasMoreMessages ?? false,
        loadingOlder: false,
        olderError: null,
        placeholder: false,
        listed: true,
      },
    ]);
  }

  private onUserDisconnected(userID: string): void {
    // Our own socket is proof that we are online, whatever a stale event says.
    if (userID === this.connection.userID() && this.connection.connected())
      return;
    this.userDirectory.notePresence(userID, false);
    this.updateUser(userID, (user) =>
      user.connected ? { ...user, connected: false } : user,
    );
  }

  /**
   * The server deleted this user's session and conversations: nobody can be them or write to them
   * again, so nothing of theirs stays here (for a user we hold nothing of, nothing changes).
   */
  private onUserForgotten(userID: string): void {
    // Our own session is alive while we are connected, whatever a stale event says.
    if (userID === this.connection.ownerID()) return;
    // Sends to them could only fail as `unknown recipient`: dropped, never sent again.
    this.pendingSends.forgetRecipient(userID);
    this.userDirectory.forgetUser(userID);
    if (this.usersState().some((user) => user.userID === userID))
      this.usersState.update((users) =>
        users.filter((user) => user.userID !== userID),
      );
    if (this.selectedID() === userID) this.selectedID.set(null);
    // A failed send to them could only be shown in their conversation.
    if (this.error()?.to === userID) this.error.set(null);
    this.readState.forget(userID);
  }

  private onMessage(message: Message): void {
    const selfID = this.connection.userID();
    if (!selfID) return;
    const chatMessage = toChatMessage(message, selfID);
    // A message we sent from another tab belongs to the conversation with its recipient.
    const otherID = chatMessage.fromSelf ? message.to : message.from;
    if (!this.usersState().some((user) => user.userID === otherID)) {
      // Someone not known yet: listed at once under a stand-in, named once the server answers.
      this.usersState.update((users) => [...users, conversation(otherID)]);
      this.userDirectory.lookUp([otherID]);
    }
    this.updateUser(otherID, (user) => {
      const messages = mergeMessages(user.messages, [chatMessage]);
      return messages === user.messages && user.listed
        ? user
        : { ...user, messages, listed: true };
    });
    this.markSelectedRead();
  }

  /**
   * A send shows as pending at the end of its conversation. A send restored after a reload may be
   * to someone the list does not hold yet: listed under the name it was written to, until the
   * replay or a look-up by id (after the replay) tells more.
   */
  private showPending(from: string, send: PendingSend): void {
    const { to } = send;
    if (!this.usersState().some((user) => user.userID === to))
      this.usersState.update((users) => [
        ...users,
        conversation(to, send.toName),
      ]);
    const pending: ChatMessage = {
      id: send.localId,
      content: send.content,
      from,
      to,
      at: new Date(send.createdAt).toISOString(),
      fromSelf: true,
      pending: true,
      clientMessageId: send.clientMessageId,
    };
    this.updateUser(to, (user) => ({
      ...user,
      messages: [...user.messages, pending],
    }));
  }

  /** A pending message goes: replaced by the stored one (merged by id: never twice), or removed. */
  private settleSend(send: PendingSend, stored: Message | null): void {
    this.updateUser(send.to, (user) => {
      const messages = user.messages.filter((m) => m.id !== send.localId);
      return {
        ...user,
        messages: stored
          ? mergeMessages(messages, [
              toChatMessage(stored, this.connection.userID()),
            ])
          : messages,
      };
    });
    // No read mark to move: own messages are never unread.
  }

  /**
   * A page of older messages came (or did not). It is taken only if it still joins what we hold:
   * `before` must still be our oldest message (a replay since may have restarted the history).
   */
  private settleOlder(
    epoch: number,
    userID: string,
    before: string,
    ack: FetchMessagesAck,
  ): void {
    if (!this.epoch.isCurrent(epoch)) return;
    const selfID = this.connection.userID();
    this.updateUser(userID, (user) => {
      const settled: UserState = { ...user, loadingOlder: false };
      if (!ack.ok) {
        settled.olderError =
          ack.error === ErrorCode.RateLimited
            ? OLDER_RATE_LIMITED_TEXT
            : OLDER_ERROR_TEXT;
        return settled;
      }
      if (oldestStoredId(user.messages) !== before) return settled;
      const page = ack.messages
        .filter(
          (m) =>
            m.id < before &&
            ((m.from === userID && m.to === selfID) ||
              (m.from === selfID && m.to === userID)),
        )
        .map((m) => toChatMessage(m, selfID));
      return {
        ...settled,
        messages: mergeMessages(user.messages, page),
        // An empty page ends the history whatever it claims, so scrolling cannot loop.
        hasMoreMessages: page.length > 0 && ack.hasMore,
      };
    });
  }

  /** For the directory: a timeout or a lost link answers as `unavailable`, never rejects. */
  private fetchUsers(input: FetchUsersInput): Promise<FetchUsersAck> {
    return this.socket
      .emitWithAck(ChatEvent.FetchUsers, input)
      .catch(() => ({ ok: false, error: ErrorCode.Unavailable }));
  }

  /** The conversation on screen is read up to its newest message. */
  private markSelectedRead(): void {
    const selected = this.selectedID();
    if (selected) this.markRead(selected);
  }

  /** The conversation is read up to its newest message. */
  private markRead(userID: string): void {
    const user = this.usersState().find((u) => u.userID === userID);
    const newest = user && newestStoredId(user.messages);
    if (newest !== undefined) this.readState.markRead(userID, newest);
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

  private updateUser(
    userID: string,
    change: (user: UserState) => UserState,
  ): void {
    this.usersState.update((users) => {
      const index = users.findIndex((user) => user.userID === userID);
      if (index < 0) return users;
      const changed = change(users[index]);
      if (changed === users[index]) return users;
      return users.map((user, i) => (i === index ? changed : user));
    });
  }
}

/** A conversation with someone not described by the server yet: under a name we had, or a stand-in. */
function conversation(userID: string, username?: string): UserState {
  return {
    userID,
    username: username ?? '',
    self: false,
    connected: false,
    messages: [],
    hasMoreMessages: false,
    loadingOlder: false,
    olderError: null,
    placeholder: username === undefined,
    listed: true,
  };
}

function toChatMessage(
  message: Message,
  selfID: string | undefined,
): ChatMessage {
  return {
    id: message.id,
    content: message.content,
    from: message.from,
    to: message.to,
    at: message.at,
    fromSelf: message.from === selfID,
    pending: false,
  };
}
