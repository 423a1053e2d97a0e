import { computed, signal, type WritableSignal } from '@angular/core';
import {
  FETCH_USERS_MAX,
  USERNAME_MAX_LENGTH,
  type FetchUsersAck,
  type FetchUsersInput,
  type UserView,
} from '@chat/contracts';
import { Backoff } from '../core/backoff';
import { Generation } from '../core/generation';
import type { ChatConfig } from '../core/chat-config';
import type { DirectoryView } from '../chat/chat.models';

const DIRECTORY_ERROR_TEXT = 'Users could not be loaded.';

/**
 * A listing read page by page with `fetch users`: the directory (`query` empty) or a search.
 * `ids`: the users of the pages loaded (a search shows them); `next`: the following page's cursor.
 */
interface Paging {
  query: string;
  ids: readonly string[];
  next?: string;
  end: boolean;
  /** A page is wanted: on its way, or waiting for the one request in flight to settle. */
  loading: boolean;
  error: string | null;
}

/** `paging` without `userID` among its users; `paging` itself when it does not hold them. */
const withoutUser = (paging: Paging, userID: string): Paging =>
  paging.ids.includes(userID)
    ? { ...paging, ids: paging.ids.filter((id) => id !== userID) }
    : paging;

const page = (query = '', loading = true): Paging => ({
  query,
  ids: [],
  end: !loading,
  loading,
  error: null,
});

/** What the directory needs from ChatStore, which alone talks to the socket and holds the users. */
export interface UserDirectoryDeps {
  /** `fetch users` and its acknowledgement; a failure resolves as `{ ok: false }`, never rejects. */
  fetchUsers(input: FetchUsersInput): Promise<FetchUsersAck>;
  /** Users of an answer join those held; `listed`: they join the list, not only a search. */
  merge(views: readonly UserView[], listed: boolean): void;
  /**
   * Users a look-up by id left out: the server has no such user (any more: their session
   * expired, and `user forgotten` may have been sent while we were away).
   */
  gone(userIDs: readonly string[]): void;
  /** Requests wait while the link is down: the next `users` restarts them. */
  isConnected(): boolean;
  config: Pick<
    ChatConfig,
    'searchDebounceMs' | 'retryDelayMs' | 'maxRetryDelayMs'
  >;
}

/**
 * The paged user directory (see the web README): the list's pages by cursor, the server search by
 * name prefix, and look-ups by id of unknown senders. It holds where each listing stands; the
 * users themselves are ChatStore's, and every answer goes to `deps.merge`.
 */
export class UserDirectory {
  private readonly text = signal('');
  private readonly dir = signal<Paging>(page('', false));
  private readonly found = signal<Paging | null>(null);

  /** Moves on when the directory restarts (`users`, a new identity, logout): older answers are stale. */
  private readonly generation = new Generation();
  /** One `fetch users` page at a time; look-ups by id go one at a time beside it. */
  private pageInFlight = false;
  private lookingUp = false;
  /** Senders not known yet, to look up by id. */
  private readonly unresolved = new Set<string>();
  /** A failed look-up is asked again later, and later again if it fails again. */
  private readonly lookupRetry: Backoff;
  private searchTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * Orders requests and presence events: per user, the tick and state of the last presence event,
   * so that an answer sent before it does not undo it.
   */
  private tick = 0;
  private readonly presence = new Map<
    string,
    [tick: number, connected: boolean]
  >();
  /** Per user forgotten by the server, the tick it happened: answers read before leave them out. */
  private readonly forgotten = new Map<string, number>();

  /** What the user search field holds. */
  readonly searchText = this.text.asReadonly();
  /** The search text trimmed; empty while the list is on screen. */
  readonly query = computed(() => this.text().trim());
  /** The users the server found for the search, in the pages loaded so far. */
  readonly foundIDs = computed<ReadonlySet<string>>(
    () => new Set(this.found()?.ids),
  );
  /**
   * A further directory page is known to exist. Until then the server reports everyone's presence,
   * so an unknown user who connects belongs to the list.
   */
  readonly hasNextPage = computed(() => this.dir().next !== undefined);
  readonly view = computed<DirectoryView>(() => {
    const searching = !!this.query();
    const paging = (searching && this.found()) || this.dir();
    return {
      searching,
      more: !paging.end,
      loading: paging.loading,
      error: paging.error,
    };
  });

  constructor(private readonly deps: UserDirectoryDeps) {
    this.lookupRetry = new Backoff(
      deps.config.retryDelayMs,
      deps.config.maxRetryDelayMs,
    );
  }

  /**
   * Asks for the next page of the listing on screen (the directory, or the search), or again for
   * the one that failed. One page request is in flight at a time; the others wait their turn.
   */
  loadMore(): void {
    const target = this.query() && this.found() ? this.found : this.dir;
    const paging = target();
    if (!paging || paging.end || paging.loading) return;
    target.set({ ...paging, loading: true, error: null });
    this.pump();
  }

  /**
   * The search field changed: the server is asked once typing pauses (answers to an older text
   * are ignored). Empty: back to the list.
   */
  search(text: string): void {
    this.text.set(text);
    const query = text.trim();
    if (query === (this.found()?.query ?? '')) return;
    this.clearSearchTimer();
    if (!query) {
      this.found.set(null);
      return;
    }
    // Longer than any name: no server match to ask for.
    this.found.set(page(query, query.length <= USERNAME_MAX_LENGTH));
    this.searchTimer = setTimeout(() => {
      this.searchTimer = undefined;
      this.pump();
    }, this.deps.config.searchDebounceMs);
  }

  /** `users` came: the directory (and a search under way) starts again from its first page. */
  restart(): void {
    this.forget();
    this.dir.set(page());
    const query = this.found()?.query;
    if (query) this.found.set(page(query, query.length <= USERNAME_MAX_LENGTH));
    this.pump();
  }

  /** Asks for the given users by id (batched, one request at a time, retried with backoff). */
  lookUp(userIDs: readonly string[]): void {
    for (const id of userIDs) this.unresolved.add(id);
    if (this.lookingUp || !this.unresolved.size || !this.deps.isConnected())
      return;
    this.lookupRetry.cancel();
    const ids = [...this.unresolved].slice(0, FETCH_USERS_MAX);
    const token = this.generation.token();
    const sentAt = ++this.tick;
    this.lookingUp = true;
    this.deps.fetchUsers({ userIDs: ids }).then((ack) => {
      if (!this.generation.isCurrent(token)) return;
      this.lookingUp = false;
      if (ack.ok) {
        for (const id of ids) this.unresolved.delete(id);
        this.deps.merge(this.current(ack.users, sentAt), true);
        const answered = new Set(ack.users.map((user) => user.userID));
        const gone = ids.filter((id) => !answered.has(id));
        if (gone.length) this.deps.gone(gone);
        this.lookupRetry.reset();
        this.lookUp([]);
      } else {
        this.lookupRetry.schedule(() => this.lookUp([]));
      }
    });
  }

  /** A presence event: newer than the answers to every request sent so far. */
  notePresence(userID: string, connected: boolean): void {
    this.presence.set(userID, [++this.tick, connected]);
  }

  /**
   * The server forgot this user (their session expired): out of the pages and search results
   * loaded, never looked up again, and left out of answers to requests sent before (the server
   * read those before it deleted them).
   */
  forgetUser(userID: string): void {
    this.unresolved.delete(userID);
    this.presence.delete(userID);
    this.forgotten.set(userID, ++this.tick);
    this.dir.update((paging) => withoutUser(paging, userID));
    this.found.update((paging) => paging && withoutUser(paging, userID));
  }

  /**
   * A new identity: answers still on their way are ignored from now on, and the next requests go
   * at once. The search text stays.
   */
  forget(): void {
    this.generation.next();
    this.pageInFlight = false;
    this.lookingUp = false;
    this.unresolved.clear();
    this.presence.clear();
    // Requests from now on are answered after every deletion we were told of.
    this.forgotten.clear();
    this.lookupRetry.cancel();
    this.lookupRetry.reset();
    this.dir.set(page('', false));
  }

  /** Logout: everything forgotten, the search too. */
  reset(): void {
    this.forget();
    this.clearSearchTimer();
    this.text.set('');
    this.found.set(null);
  }

  dispose(): void {
    this.lookupRetry.cancel();
    clearTimeout(this.searchTimer);
  }

  /** Sends the page wanted next, if none is in flight: the search's first, then the directory's. */
  private pump(): void {
    if (this.pageInFlight || !this.deps.isConnected()) return;
    const search = this.found();
    if (search?.loading && this.searchTimer === undefined)
      this.fetchPage(this.found, search);
    else if (this.dir().loading) this.fetchPage(this.dir, this.dir());
  }

  private fetchPage(
    target: WritableSignal<Paging | null>,
    asked: Paging,
  ): void {
    const token = this.generation.token();
    const sentAt = ++this.tick;
    this.pageInFlight = true;
    this.deps
      .fetchUsers({
        ...(asked.query && { query: asked.query }),
        ...(asked.next && { after: asked.next }),
      })
      .then((ack) => {
        if (!this.generation.isCurrent(token)) return;
        this.pageInFlight = false;
        const now = target();
        // Still the page wanted (not a search typed over, nor restarted)?
        if (
          now?.loading &&
          now.query === asked.query &&
          now.next === asked.next
        ) {
          if (ack.ok) {
            const users = this.current(ack.users, sentAt);
            this.deps.merge(users, !asked.query);
            target.set({
              ...now,
              ids: [...now.ids, ...users.map((user) => user.userID)],
              next: ack.next,
              // An empty page ends the listing whatever it claims, so scrolling cannot loop.
              end: !ack.next || !ack.users.length,
              loading: false,
            });
          } else {
            target.set({ ...now, loading: false, error: DIRECTORY_ERROR_TEXT });
          }
        }
        this.pump();
      });
  }

  /**
   * The answer brought up to date with the events that came after the request was sent: their
   * presence wins, and the users forgotten since are left out.
   */
  private current(
    views: readonly UserView[],
    sentAt: number,
  ): readonly UserView[] {
    return views.flatMap((view) => {
      if ((this.forgotten.get(view.userID) ?? 0) > sentAt) return [];
      const event = this.presence.get(view.userID);
      return event && event[0] > sentAt
        ? [{ ...view, connected: event[1] }]
        : [view];
    });
  }

  private clearSearchTimer(): void {
    clearTimeout(this.searchTimer);
    this.searchTimer = undefined;
  }
}
