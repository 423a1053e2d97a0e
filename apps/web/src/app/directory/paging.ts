import { computed, signal } from '@angular/core';
import {
  USERNAME_MAX_LENGTH,
  type FetchUsersAck,
  type UserView,
} from '@chat/contracts';
import type { DirectoryView, Person } from './directory.models';

const DIRECTORY_ERROR_TEXT = 'Users could not be loaded.';

/**
 * A listing read page by page with `fetch users`: the directory (`query` empty) or a search.
 * `ids`: the users of the pages loaded (a search shows them); `next`: the following page's cursor.
 */
export interface Paging {
  query: string;
  ids: readonly string[];
  next?: string;
  end: boolean;
  /** A page is wanted: on its way, or waiting for the one request in flight to settle. */
  loading: boolean;
  error: string | null;
}

/** A listing from its start: its first page wanted (`loading`), or nothing to ask for. */
const page = (query = '', loading = true): Paging => ({
  query,
  ids: [],
  end: !loading,
  loading,
  error: null,
});

/** A search from its start; longer than any name, it has no server match to ask for. */
const searchPage = (query: string): Paging =>
  page(query, query.length <= USERNAME_MAX_LENGTH);

/** `paging` without `userID` among its users; `paging` itself when it does not hold them. */
const withoutUser = (paging: Paging, userID: string): Paging =>
  paging.ids.includes(userID)
    ? { ...paging, ids: paging.ids.filter((id) => id !== userID) }
    : paging;

/**
 * The two listings `DirectoryStore` reads page by page, and the search field's text: which page
 * is wanted next, and what an answer does to its listing. The store sends the requests.
 */
export class Listings {
  private readonly text = signal('');
  private readonly dir = signal<Paging>(page('', false));
  private readonly found = signal<Paging | null>(null);

  /** What the user search field holds. */
  readonly searchText = this.text.asReadonly();
  /** The search text trimmed; empty while the list is on screen. */
  private readonly query = computed(() => this.text().trim());
  /** The users the server found for the search, in the pages loaded so far. */
  readonly foundIDs = computed<ReadonlySet<string>>(
    () => new Set(this.found()?.ids),
  );
  /**
   * While searching, who the search shows: the users known here whose name starts with the text,
   * and those the server found. Null while the list is on screen.
   */
  readonly searchMatch = computed<((person: Person) => boolean) | null>(() => {
    const query = this.query().toLowerCase();
    if (!query) return null;
    const found = this.foundIDs();
    return (person) =>
      found.has(person.userID) ||
      (!person.placeholder && person.username.toLowerCase().startsWith(query));
  });
  /** A further directory page is known to exist. */
  readonly hasNextPage = computed(() => this.dir().next !== undefined);
  /** Where the listing on screen stands: more pages, one on its way, a failure. */
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

  /**
   * The listing on screen (the directory, or the search) wants its next page, or again the one
   * that failed. False when there is nothing to ask for.
   */
  loadMore(): boolean {
    const target = this.query() && this.found() ? this.found : this.dir;
    const paging = target();
    if (!paging || paging.end || paging.loading) return false;
    target.set({ ...paging, loading: true, error: null });
    return true;
  }

  /**
   * The search field changed. True when the search did: a new one, whose first page is wanted, or
   * none (back to the list).
   */
  search(text: string): boolean {
    this.text.set(text);
    const query = text.trim();
    if (query === (this.found()?.query ?? '')) return false;
    this.found.set(query ? searchPage(query) : null);
    return true;
  }

  /** The page to ask for next: the search's (once typing has paused), then the directory's. */
  wanted(typing: boolean): Paging | undefined {
    const search = this.found();
    if (search?.loading && !typing) return search;
    const dir = this.dir();
    return dir.loading ? dir : undefined;
  }

  /**
   * The answer to `asked` came; `users`: its users still current. False when that page is not
   * wanted any more (a search typed over, or restarted): the answer is ignored.
   */
  answered(
    asked: Paging,
    ack: FetchUsersAck,
    users: readonly UserView[],
  ): boolean {
    const target = asked.query ? this.found : this.dir;
    const now = target();
    if (!now?.loading || now.query !== asked.query || now.next !== asked.next)
      return false;
    target.set(
      ack.ok
        ? {
            ...now,
            ids: [...now.ids, ...users.map((user) => user.userID)],
            next: ack.next,
            // An empty page ends the listing whatever it claims, so scrolling cannot loop.
            end: !ack.next || !ack.users.length,
            loading: false,
          }
        : { ...now, loading: false, error: DIRECTORY_ERROR_TEXT },
    );
    return true;
  }

  /** The directory (and a search under way) wants its first page again. */
  restart(): void {
    this.dir.set(page());
    const query = this.found()?.query;
    if (query) this.found.set(searchPage(query));
  }

  /** The directory asks for nothing until the next restart. */
  stop(): void {
    this.dir.set(page('', false));
  }

  /** A user the server forgot leaves the pages loaded. */
  forget(userID: string): void {
    this.dir.update((paging) => withoutUser(paging, userID));
    this.found.update((paging) => paging && withoutUser(paging, userID));
  }
}
