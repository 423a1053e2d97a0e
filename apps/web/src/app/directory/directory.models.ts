/** A user as the directory knows them: who they are and whether they are online. */
export interface Person {
  userID: string;
  username: string;
  self: boolean;
  /** Online; for ourselves, our own link's state (see `DirectoryStore.known`). */
  connected: boolean;
  /** A sender not known yet: shown under a stand-in name until the server tells who it is. */
  placeholder: boolean;
  /** Part of the list (self, a conversation, a directory page), not only a search result. */
  listed: boolean;
}

/** One row of the user list: a person, and whether they wrote something not read yet. */
export interface UserListItem extends Omit<Person, 'listed'> {
  hasNewMessages: boolean;
}

/**
 * The state of the listing on screen, read page by page from the server: the directory, or the
 * users whose name starts with the search text.
 */
export interface DirectoryView {
  searching: boolean;
  /** The server has more users past the last page loaded. */
  more: boolean;
  /** A page is on its way (or waits for the one before it). */
  loading: boolean;
  /** Why the last page did not come; `DirectoryStore.loadMore` retries. */
  error: string | null;
}
