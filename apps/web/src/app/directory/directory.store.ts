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
  FETCH_USERS_MAX,
  type FetchUsersAck,
  type FetchUsersInput,
  type UserView,
} from '@chat/contracts';
import { Subject } from 'rxjs';
import { Backoff } from '../core/backoff';
import { CHAT_CONFIG } from '../core/chat-config';
import { CHAT_SOCKET, onChatEvent, unavailable } from '../core/chat-socket';
import { ConnectionStore, type IdentityEnd } from '../core/connection.store';
import { Generation } from '../core/generation';
import { AnswerOrder } from './answer-order';
import type { Person, ShownPerson } from './directory.models';
import { displayNames } from './display-names';
import { Listings, type Paging } from './paging';
import {
  changePerson,
  mergePeople,
  personOf,
  showPeople,
  standIn,
} from './people';

/**
 * Who is known here, and who is online (see the web README, "The user directory"): self and our
 * conversations (from `users`, which the conversations store hands over), the directory's pages,
 * search results, and senders looked up by id, all through `fetch users`, one page request at a
 * time. A user the server forgot leaves, and `forgotten$` tells the stores above.
 */
@Injectable({ providedIn: 'root' })
export class DirectoryStore {
  private readonly socket = inject(CHAT_SOCKET);
  private readonly config = inject(CHAT_CONFIG);
  private readonly connection = inject(ConnectionStore);

  private readonly people = signal<readonly Person[]>([]);
  /** The directory's pages and the search's: which page is wanted, what the answers hold. */
  private readonly listings = new Listings();
  private readonly forgottenIDs = new Subject<string>();

  /** Moves on when the directory restarts (`users`, a new identity, logout): older answers are stale. */
  private readonly generation = new Generation();
  /** Presence events and deletions against the answers that were on their way. */
  private readonly order = new AnswerOrder();
  /** One `fetch users` page at a time; look-ups by id go one at a time beside it. */
  private pageInFlight = false;
  private lookingUp = false;
  /** Senders not known yet, to look up by id. */
  private readonly unresolved = new Set<string>();
  /** A failed look-up is asked again later, and later again if it fails again. */
  private readonly lookupRetry = new Backoff(
    this.config.retryDelayMs,
    this.config.maxRetryDelayMs,
  );
  private searchTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * The name to show for each user known here (by userID): where two share a name, each with a
   * short suffix of their userID (see `displayNames`).
   */
  readonly displayNames = computed<ReadonlyMap<string, string>>(() =>
    displayNames(this.people().filter((person) => !person.placeholder)),
  );
  /**
   * Everyone known here (search results too), self first, then by name, with the name to show
   * and their presence as far as we can tell.
   */
  readonly known = computed<readonly ShownPerson[]>(() =>
    showPeople(this.people(), this.displayNames(), this.connection.connected()),
  );
  /** What the user search field holds. */
  readonly searchText = this.listings.searchText;
  /** The users the server found for the search, in the pages loaded so far. */
  readonly foundIDs = this.listings.foundIDs;
  /**
   * While searching, who the search shows: the users known here whose name starts with the text,
   * and those the server found. Null while the list is on screen.
   */
  readonly searchMatch = this.listings.searchMatch;
  /**
   * A further directory page is known to exist. Until then the server reports everyone's presence,
   * so an unknown user who connects belongs to the list.
   */
  readonly hasNextPage = this.listings.hasNextPage;
  /** Where the listing on screen stands: more pages, one on its way, a failure. */
  readonly view = this.listings.view;
  /**
   * A user the server forgot (`user forgotten`, or left out of a look-up by id): gone from here
   * already; the stores above drop what they hold of them.
   */
  readonly forgotten$ = this.forgottenIDs.asObservable();

  constructor() {
    onChatEvent(ChatEvent.UserDisconnected, (userID) =>
      this.onUserDisconnected(userID),
    );
    onChatEvent(ChatEvent.UserForgotten, ({ userID }) => this.forget(userID));
    this.connection.identityEnded$
      .pipe(takeUntilDestroyed())
      .subscribe((end) => this.onIdentityEnded(end));
    inject(DestroyRef).onDestroy(() => {
      this.lookupRetry.cancel();
      clearTimeout(this.searchTimer);
    });
  }

  find(userID: string): Person | undefined {
    return this.people().find((person) => person.userID === userID);
  }

  /**
   * Asks for the next page of the listing on screen (the directory, or the search), or again for
   * the one that failed. One page request is in flight at a time; the others wait their turn.
   */
  loadMore(): void {
    if (this.listings.loadMore()) this.pump();
  }

  /**
   * The search field changed: users known here that match show at once (`searchMatch`), the
   * server's matches once typing pauses (answers to an older text are ignored). Empty: back to
   * the list.
   */
  search(text: string): void {
    if (!this.listings.search(text)) return;
    this.clearSearchTimer();
    if (!text.trim()) return;
    this.searchTimer = setTimeout(() => {
      this.searchTimer = undefined;
      this.pump();
    }, this.config.searchDebounceMs);
  }

  /**
   * `users` came: self and our conversations (`views`) replace the list, but for the users held
   * in `keep` (a conversation of ours, the one on screen) that the replay does not name: those
   * stay, are looked up again for their presence, and are returned. The directory (and a search
   * under way) starts again from its first page.
   */
  replay(
    views: readonly UserView[],
    keep: ReadonlySet<string>,
  ): readonly string[] {
    const selfID = this.connection.userID();
    const replayed = new Set(views.map((view) => view.userID));
    const kept = this.people().filter(
      (person) => !replayed.has(person.userID) && keep.has(person.userID),
    );
    this.people.set([
      ...kept.map((person) => ({ ...person, listed: true })),
      ...views.map((view) => personOf(view, selfID)),
    ]);
    this.restart();
    const keptIDs = kept.map((person) => person.userID);
    this.lookUp(keptIDs);
    return keptIDs;
  }

  /**
   * `user connected`: `known` if we held them (now online), `added` if they join the list, null
   * if not (with more directory pages to come, the answer that lists them will find this presence).
   */
  userConnected(view: UserView): 'known' | 'added' | null {
    this.order.presenceChanged(view.userID, true);
    if (this.find(view.userID)) {
      // A known user coming back (or one of our own other tabs): update, never duplicate.
      this.update(view.userID, (person) => ({
        ...person,
        username: view.username,
        connected: true,
        lastSeen: undefined,
      }));
      return 'known';
    }
    if (this.hasNextPage()) return null;
    const selfID = this.connection.userID();
    this.people.update((people) => [...people, personOf(view, selfID, true)]);
    return 'added';
  }

  /** A conversation with someone not held yet: listed under `username`, or a stand-in. */
  addStandIn(userID: string, username?: string): void {
    if (!this.find(userID))
      this.people.update((people) => [...people, standIn(userID, username)]);
  }

  /** A user found by a search (or who wrote to us) joins the list. */
  list(userID: string): void {
    this.update(userID, (person) =>
      person.listed ? person : { ...person, listed: true },
    );
  }

  /** Asks for the given users by id (batched, one request at a time, retried with backoff). */
  lookUp(userIDs: readonly string[]): void {
    for (const id of userIDs) this.unresolved.add(id);
    if (this.lookingUp || !this.unresolved.size || !this.connection.connected())
      return;
    this.lookupRetry.cancel();
    const ids = [...this.unresolved].slice(0, FETCH_USERS_MAX);
    const token = this.generation.token();
    const sentAt = this.order.sent();
    this.lookingUp = true;
    this.fetchUsers({ userIDs: ids }).then((ack) => {
      if (!this.generation.isCurrent(token)) return;
      this.lookingUp = false;
      if (ack.ok) {
        for (const id of ids) this.unresolved.delete(id);
        this.merge(this.order.current(ack.users, sentAt), true);
        // Left out: the server has no such user (any more: `user forgotten` may have gone out
        // while we were away).
        const answered = new Set(ack.users.map((user) => user.userID));
        for (const id of ids) if (!answered.has(id)) this.forget(id);
        this.lookupRetry.reset();
        this.lookUp([]);
      } else {
        this.lookupRetry.schedule(() => this.lookUp([]));
      }
    });
  }

  private onUserDisconnected(userID: string): void {
    // Our own socket is proof that we are online, whatever a stale event says.
    if (userID === this.connection.userID() && this.connection.connected())
      return;
    this.order.presenceChanged(userID, false);
    // Seen leaving now: "last seen just now" until the server tells better.
    const lastSeen = new Date().toISOString();
    this.update(userID, (person) =>
      person.connected ? { ...person, connected: false, lastSeen } : person,
    );
  }

  /**
   * The server forgot this user (their session expired): out of the list, the pages and search
   * results loaded, never looked up again, and left out of answers to requests sent before (the
   * server read those before it deleted them). Then the stores above drop what they hold.
   */
  private forget(userID: string): void {
    // Our own session is alive while we are connected, whatever a stale event says.
    if (userID === this.connection.ownerID()) return;
    this.unresolved.delete(userID);
    this.order.forgot(userID);
    this.listings.forget(userID);
    if (this.find(userID))
      this.people.update((people) =>
        people.filter((person) => person.userID !== userID),
      );
    this.forgottenIDs.next(userID);
  }

  /** Users of an answer join those held; `listed`: they join the list, not only a search. */
  private merge(views: readonly UserView[], listed: boolean): void {
    this.people.update((people) =>
      mergePeople(people, views, {
        selfID: this.connection.userID(),
        selfConnected: this.connection.connected(),
        listed,
      }),
    );
  }

  /** The directory (and a search under way) starts again from its first page. */
  private restart(): void {
    this.forgetRequests();
    this.listings.restart();
    this.pump();
  }

  /** Nobody stays; after a logout the search goes too. */
  private onIdentityEnded(end: IdentityEnd): void {
    this.people.set([]);
    this.forgetRequests();
    if (end === 'signed-out') this.search('');
  }

  /** Answers still on their way are ignored from now on, and the next requests go at once. */
  private forgetRequests(): void {
    this.generation.next();
    this.pageInFlight = false;
    this.lookingUp = false;
    this.unresolved.clear();
    this.order.clear();
    this.lookupRetry.cancel();
    this.lookupRetry.reset();
    this.listings.stop();
  }

  /** Sends the page wanted next, if none is in flight: the search's first, then the directory's. */
  private pump(): void {
    if (this.pageInFlight || !this.connection.connected()) return;
    const asked = this.listings.wanted(this.searchTimer !== undefined);
    if (asked) this.fetchPage(asked);
  }

  private fetchPage(asked: Paging): void {
    const token = this.generation.token();
    const sentAt = this.order.sent();
    this.pageInFlight = true;
    this.fetchUsers({
      ...(asked.query && { query: asked.query }),
      ...(asked.next && { after: asked.next }),
    }).then((ack) => {
      if (!this.generation.isCurrent(token)) return;
      this.pageInFlight = false;
      const users = ack.ok ? this.order.current(ack.users, sentAt) : [];
      if (this.listings.answered(asked, ack, users) && ack.ok)
        this.merge(users, !asked.query);
      this.pump();
    });
  }

  /** A timeout or a lost link answers as `unavailable`, never rejects. */
  private fetchUsers(input: FetchUsersInput): Promise<FetchUsersAck> {
    return this.socket
      .emitWithAck(ChatEvent.FetchUsers, input)
      .catch(unavailable);
  }

  private update(userID: string, change: (person: Person) => Person): void {
    this.people.update((people) => changePerson(people, userID, change));
  }

  private clearSearchTimer(): void {
    clearTimeout(this.searchTimer);
    this.searchTimer = undefined;
  }
}
