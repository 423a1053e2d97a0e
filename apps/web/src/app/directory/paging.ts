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
export const page = (query = '', loading = true): Paging => ({
  query,
  ids: [],
  end: !loading,
  loading,
  error: null,
});

/** `paging` without `userID` among its users; `paging` itself when it does not hold them. */
export const withoutUser = (paging: Paging, userID: string): Paging =>
  paging.ids.includes(userID)
    ? { ...paging, ids: paging.ids.filter((id) => id !== userID) }
    : paging;
