import { Injectable, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import {
  ChatEvent,
  type FetchMessagesAck,
  type Message,
  type UserView,
  parseUserId,
} from '@chat/contracts';
import { Subject } from 'rxjs';
import { CHAT_SOCKET, onChatEvent, unavailable } from '../core/chat-socket';
import { ConnectionStore } from '../core/connection.store';
import { Generation } from '../core/generation';
import { DirectoryStore } from '../directory/directory.store';
import { PageVisibility } from '../core/page-visibility';
import { ReceiptsStore } from '../receipts/receipts.store';
import { ReadStateStore } from '../read-state/read-state.store';
import { newestFromThem } from '../read-state/unread';
import { byLatestMessage, toChatUser } from './chat-users';
import type {
  ChatMessage,
  ChatUser,
  Conversation,
  IncomingMessage,
  Selection,
} from './conversation.models';
import {
  mergeMessages,
  mergeReplay,
  oldestStoredId,
  withOlderPage,
  toChatMessage,
} from './history';

const OLDER_OFFLINE_TEXT =
  'Earlier messages cannot be loaded while the connection is down.';

const EMPTY: Conversation = {
  messages: [],
  hasMoreMessages: false,
  loadingOlder: false,
  olderError: null,
};

/**
 * Our conversations: the messages of each (replayed by `users`, arriving live, older pages on
 * demand), which one is open, and the list as the components show it (each user of the
 * directory with our conversation and its unread state). The conversation on screen (tab visible) is read:
 * every message arriving in it moves its read mark.
 */
@Injectable({ providedIn: 'root' })
export class ConversationsStore {
  private readonly socket = inject(CHAT_SOCKET);
  private readonly connection = inject(ConnectionStore);
  private readonly directory = inject(DirectoryStore);
  private readonly readState = inject(ReadStateStore);
  private readonly receipts = inject(ReceiptsStore);
  private readonly page = inject(PageVisibility);

  /** Keyed by the other user's id; only users the directory holds have one. */
  private readonly conversations = signal<ReadonlyMap<string, Conversation>>(
    new Map(),
  );
  private readonly selectedID = signal<string | null>(null);
  /** Users the server does not have (any more): a link to them says so. */
  private readonly gone = signal<ReadonlySet<string>>(new Set());
  /** Moves on when the identity goes: pages asked for by the old one are then ignored. */
  private readonly epoch = new Generation();
  private readonly replays = new Subject<readonly UserView[]>();
  private readonly incoming = new Subject<IncomingMessage>();

  readonly selectedUserID = this.selectedID.asReadonly();
  /** Everyone known here (search results too), sorted for display. */
  private readonly known = computed(() => {
    const markers = this.readState.readMarkers();
    const receipts = this.receipts.markers();
    const conversations = this.conversations();
    return this.directory
      .known()
      .map((person) =>
        toChatUser(
          person,
          conversations.get(person.userID) ?? EMPTY,
          markers.get(person.userID),
          receipts.get(person.userID),
        ),
      );
  });
  /** The list: self, the conversations, and the directory's pages loaded so far, by username. */
  readonly users = computed<readonly ChatUser[]>(() =>
    this.known().filter((user) => user.listed),
  );
  /** The list, or while searching the users known here or found by the server whose name starts with it. */
  readonly visibleUsers = computed<readonly ChatUser[]>(() => {
    const match = this.directory.searchMatch();
    return match ? this.known().filter(match) : this.users();
  });
  readonly self = computed(() => this.users().find((user) => user.self));
  /**
   * The rows of the list below ourselves, or of the search: who we have a conversation with
   * (`chats`) and everyone else (`people`, by name, paged as the directory is).
   */
  private readonly others = computed(() =>
    this.visibleUsers().filter((user) => !user.self),
  );
  /** Our conversations, the latest message first (pending sends count). */
  readonly chats = computed<readonly ChatUser[]>(() =>
    this.others()
      .filter((user) => user.messages.length > 0)
      .sort(byLatestMessage),
  );
  /** Everyone else listed (or found by the search), by name. */
  readonly people = computed<readonly ChatUser[]>(() =>
    this.others().filter((user) => user.messages.length === 0),
  );
  /** Messages not read yet, over every conversation. */
  readonly totalUnread = computed(() =>
    this.users().reduce((sum, user) => sum + user.unreadCount, 0),
  );
  readonly selectedUser = computed(() => {
    const id = this.selectedID();
    return this.users().find((user) => user.userID === id && !user.self);
  });
  /** Whether the conversation asked for (the URL's) can be shown, or why not. */
  readonly selection = computed<Selection>(() => {
    const id = this.selectedID();
    if (id === null) return 'none';
    if (this.selectedUser()) return 'open';
    if (
      !parseUserId(id) ||
      this.gone().has(id) ||
      id === this.connection.userID()
    )
      return 'missing';
    return 'looking-up';
  });
  /** Each `users` replay, once taken in: the outbox settles the sends it shows stored, resends others. */
  readonly replays$ = this.replays.asObservable();
  /**
   * Each live message from someone else, once taken in (not replays, not older pages): what the
   * screen announces, and what notifications will show.
   */
  readonly incoming$ = this.incoming.asObservable();

  constructor() {
    onChatEvent(ChatEvent.Users, (users) => this.onUsers(users));
    onChatEvent(ChatEvent.UserConnected, (user) => this.onUserConnected(user));
    onChatEvent(ChatEvent.PrivateMessage, (message) => this.onMessage(message));
    this.directory.forgotten$
      .pipe(takeUntilDestroyed())
      .subscribe((userID) => this.onForgotten(userID));
    // Back to a tab left with a conversation open: it is read now.
    this.page.shown$
      .pipe(takeUntilDestroyed())
      .subscribe(() => this.markSelectedRead());
    this.connection.identityEnded$.pipe(takeUntilDestroyed()).subscribe(() => {
      this.epoch.next();
      this.conversations.set(new Map());
      this.gone.set(new Set());
    });
  }

  /**
   * Opens a conversation (the one the URL names) and marks it as read while the tab is visible
   * (so does every message arriving while open). A user found by a search joins the list; one
   * not known here is looked up by id, and `selection` says `missing` if the server has none.
   */
  select(userID: string): void {
    this.selectedID.set(userID);
    if (!parseUserId(userID)) return;
    if (this.directory.find(userID)) this.directory.list(userID);
    else if (!this.gone().has(userID)) this.directory.lookUp([userID]);
    this.markRead(userID);
  }

  /** No conversation on screen. */
  close(): void {
    this.selectedID.set(null);
  }

  /**
   * Asks for the page before the oldest message loaded, and prepends it. One request at a time
   * per conversation; a failure leaves `olderError`, the next call retries. False if none asked.
   */
  loadOlder(userID: string): boolean {
    const conversation = this.conversations().get(userID);
    if (!conversation?.hasMoreMessages || conversation.loadingOlder)
      return false;
    const before = oldestStoredId(conversation.messages);
    if (!before) return false;
    if (!this.connection.connected()) {
      this.change(userID, (c) => ({ ...c, olderError: OLDER_OFFLINE_TEXT }));
      return false;
    }
    const epoch = this.epoch.token();
    this.change(userID, (c) => ({
      ...c,
      loadingOlder: true,
      olderError: null,
    }));
    this.socket.emitWithAck(ChatEvent.FetchMessages, { userID, before }).then(
      (ack) => this.settleOlder(epoch, userID, before, ack),
      () => this.settleOlder(epoch, userID, before, unavailable()),
    );
    return true;
  }

  /**
   * A message of ours on its way shows at once at the end of its conversation. Its recipient joins
   * the list if need be (after a reload, under the name it was written to: `toName`).
   */
  showPending(message: ChatMessage, toName?: string): void {
    this.directory.addStandIn(message.to, toName);
    this.change(message.to, (c) => ({
      ...c,
      messages: [...c.messages, message],
    }));
  }

  /** A pending message goes: replaced by the stored one (merged by id: never twice), or removed. */
  settlePending(to: string, localId: string, stored: Message | null): void {
    const selfID = this.connection.userID();
    if (!this.conversations().has(to)) return;
    this.change(to, (c) => {
      const messages = c.messages.filter((m) => m.id !== localId);
      return {
        ...c,
        messages: stored
          ? mergeMessages(messages, [toChatMessage(stored, selfID)])
          : messages,
      };
    });
  }

  /** A pending message of ours given up on (`failed`), or sent again. */
  setFailed(to: string, localId: string, failed: boolean): void {
    const mark = (m: ChatMessage) => (m.id === localId ? { ...m, failed } : m);
    this.change(to, (c) => ({ ...c, messages: c.messages.map(mark) }));
  }

  /**
   * Self and our conversations replace the list, and the directory starts again from its first
   * page. Conversations merge by id: older pages loaded and pending sends survive a reconnect.
   * Unread is the server's markers'; the senders hear that we hold theirs. Users held beyond these
   * (the one on screen, those with messages, pending ones too) stay and are looked up again.
   */
  private onUsers(views: readonly UserView[]): void {
    const selfID = this.connection.userID();
    const held = this.conversations();
    const keep = new Set<string>();
    const selected = this.selectedID();
    if (selected) keep.add(selected);
    for (const [userID, conversation] of held)
      if (conversation.messages.length > 0) keep.add(userID);
    const kept = this.directory.replay(views, keep);
    // A conversation opened by a link, of someone neither the replay nor we knew.
    if (selected && parseUserId(selected) && !this.directory.find(selected))
      this.directory.lookUp([selected]);
    const conversations = new Map<string, Conversation>();
    for (const userID of kept) {
      const conversation = held.get(userID);
      if (conversation) conversations.set(userID, conversation);
    }
    for (const view of views) {
      const previous = held.get(view.userID);
      const incoming = (view.messages ?? []).map((m) =>
        toChatMessage(m, selfID),
      );
      conversations.set(view.userID, {
        ...mergeReplay(previous, incoming, view.hasMoreMessages ?? false),
        loadingOlder: previous?.loadingOlder ?? false,
        olderError: previous?.olderError ?? null,
      });
    }
    this.readState.replay(views);
    this.receipts.replay(views);
    this.conversations.set(conversations);
    for (const view of views) this.markDelivered(view.userID);
    this.markSelectedRead();
    this.replays.next(views);
  }

  private onUserConnected(view: UserView): void {
    const known = this.directory.userConnected(view);
    if (!known) return;
    const incoming = (view.messages ?? []).map((m) =>
      toChatMessage(m, this.connection.userID()),
    );
    if (known === 'added') {
      this.change(view.userID, () => ({
        ...EMPTY,
        messages: mergeMessages([], incoming),
        hasMoreMessages: view.hasMoreMessages ?? false,
      }));
      return;
    }
    this.change(view.userID, (c) => {
      const messages = mergeMessages(c.messages, incoming);
      return messages === c.messages ? c : { ...c, messages };
    });
    this.markDelivered(view.userID);
    this.markSelectedRead();
  }

  private onMessage(message: Message): void {
    const selfID = this.connection.userID();
    if (!selfID) return;
    const chatMessage = toChatMessage(message, selfID);
    // A message we sent from another tab belongs to the conversation with its recipient.
    const otherID = chatMessage.fromSelf ? message.to : message.from;
    if (!this.directory.find(otherID)) {
      // Someone not known yet: listed at once under a stand-in, named once the server answers.
      this.directory.addStandIn(otherID);
      this.directory.lookUp([otherID]);
    }
    let added = false;
    this.change(otherID, (c) => {
      const messages = mergeMessages(c.messages, [chatMessage]);
      added = messages !== c.messages;
      return added ? { ...c, messages } : c;
    });
    this.directory.list(otherID);
    if (added && !chatMessage.fromSelf) {
      this.readState.arrived(otherID, message.id);
      this.readState.markDelivered(otherID, message.id);
    }
    this.markSelectedRead();
    if (added && !chatMessage.fromSelf)
      this.incoming.next({
        message: chatMessage,
        from: this.users().find((user) => user.userID === otherID),
      });
  }

  /**
   * Nothing of theirs stays: their conversation goes, and a screen (or a link) that shows it says
   * it does not exist.
   */
  private onForgotten(userID: string): void {
    if (this.conversations().has(userID))
      this.conversations.update((conversations) => {
        const rest = new Map(conversations);
        rest.delete(userID);
        return rest;
      });
    this.gone.update((gone) => new Set(gone).add(userID));
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
    if (!this.epoch.isCurrent(epoch) || !this.conversations().has(userID))
      return;
    const selfID = this.connection.userID();
    this.change(userID, (conversation) =>
      withOlderPage(conversation, { userID, selfID, before }, ack),
    );
  }

  /** The conversation on screen, if a person can see it, is read up to its newest message. */
  private markSelectedRead(): void {
    const selected = this.selectedID();
    if (selected) this.markRead(selected);
  }

  private markRead(userID: string): void {
    if (!this.page.visible()) return;
    const newest = this.newestFrom(userID);
    if (newest) this.readState.markRead(userID, newest);
  }

  /** This tab holds the conversation's messages: their sender hears of it. */
  private markDelivered(userID: string): void {
    const newest = this.newestFrom(userID);
    if (newest) this.readState.markDelivered(userID, newest);
  }

  private newestFrom(userID: string): string | undefined {
    return newestFromThem(this.conversations().get(userID)?.messages ?? []);
  }

  /** The conversation with `userID` (an empty one if none yet) becomes `change`'s result. */
  private change(
    userID: string,
    change: (conversation: Conversation) => Conversation,
  ): void {
    const conversations = this.conversations();
    const current = conversations.get(userID);
    const changed = change(current ?? EMPTY);
    if (changed !== current && changed !== EMPTY)
      this.conversations.set(new Map(conversations).set(userID, changed));
  }
}
