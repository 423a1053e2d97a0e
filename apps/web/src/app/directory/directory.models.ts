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
  /** When they were last connected (ISO 8601): from the server, or when we saw them leave. */
  lastSeen?: string;
}

/**
 * What the screen says of someone's presence. `unknown`: our own link is down, so nothing we hold
 * about the others is current (ourselves: online or offline by our link).
 */
export type Presence = 'online' | 'offline' | 'unknown';

/** A person as the screen shows them. */
export interface ShownPerson extends Person {
  /** The username, with a short suffix of the userID where several users share it. */
  displayName: string;
  presence: Presence;
}

/** One row of the user list: a person, and what they wrote that was not read yet. */
export interface UserListItem extends Omit<ShownPerson, 'listed'> {
  hasNewMessages: boolean;
  /** Messages from them after the read mark, among those held here. */
  unreadCount: number;
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
