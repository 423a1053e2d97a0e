/**
 * A stored private message as the wire sees it: the guide's fields plus `id`, `at` and, for a
 * message sent with one, `clientMessageId`.
 */
export interface Message {
  /** Unique and sortable: later messages compare greater. */
  id: string;
  content: string;
  /** Always set by the server: the sender's `userID`. */
  from: string;
  to: string;
  /** Server time the message was accepted, ISO 8601. */
  at: string;
  /**
   * Ours (additive): the `clientMessageId` the sender gave with `private message`, on every form of
   * the message the server hands out (the acknowledgement, the `private message` event, `users`,
   * `fetch messages`), so that a sender who lost the acknowledgement recognises the message as
   * stored. Absent (no key at all) on a message sent without one, so payloads stay the guide's;
   * the guide's clients ignore it.
   */
  clientMessageId?: string;
}

/** One entry of `users` and the payload of `user connected`. */
export interface UserView {
  userID: string;
  username: string;
  connected: boolean;
  /**
   * That conversation's messages with the receiving user, oldest first: the most recent ones only
   * (the server's `HISTORY_LIMIT`); older ones are fetched with `fetch messages`.
   */
  messages: Message[];
  /** Ours (additive): true when the conversation has messages older than `messages[0]`. */
  hasMoreMessages?: boolean;
  /**
   * Ours (additive): for a user who is not connected, when they were last (ISO 8601): when their
   * last tab closed, or, if their node died, its last heartbeat. Absent when unknown.
   */
  lastSeen?: string;
}

/** `user forgotten`: nobody can resume this user's session or write to them any more. */
export interface ForgottenUser {
  userID: string;
}

/** Payload of `session`: `sessionID` is the secret to resume with; `username` is our addition. */
export interface SessionInfo {
  sessionID: string;
  userID: string;
  username: string;
}

/** What a client sends with `private message`. A `from` in it is ignored. */
export interface PrivateMessageInput {
  content: string;
  to: string;
  /**
   * Ours (additive): the client's own id for this message, so that sending it again is safe. The
   * server stores a message at most once per sender and `clientMessageId`: a repeat is acknowledged
   * with the message stored the first time (same `id`, `at`) and reaches nobody again. Random,
   * 1 to 64 characters of `A-Z a-z 0-9 _ -`; kept for a day at least.
   */
  clientMessageId?: string;
}

/**
 * How a client learns about other users. `guide` (the default, the guide's behaviour): `users`
 * lists every user, and every user's `user connected` / `user disconnected` reaches everyone,
 * which costs the server O(users²) as a team grows. `paged` (ours, additive): `users` lists only
 * the user and their conversation partners, the rest of the directory is read in pages with
 * `fetch users`, and presence events arrive only for the users the client has been given.
 */
export type DirectoryMode = 'guide' | 'paged';

/** `auth` of the Socket.IO handshake. */
export interface HandshakeAuth {
  sessionID?: string;
  username?: string;
  /** Ours (additive): `paged` opts in to the paged directory; anything else means `guide`. */
  directory?: DirectoryMode;
}

/** What a client sends with `fetch messages`: the page of its conversation with `userID` before `before`. */
export interface FetchMessagesInput {
  /** The other user of the conversation (the caller is always the one). */
  userID: string;
  /** Message `id` cursor: only messages strictly older than it are returned. */
  before: string;
  /** Page size, 1 to `FETCH_MESSAGES_MAX`; the server's default when absent. */
  limit?: number;
}

/**
 * What a client sends with `fetch users` (ours, additive): either a page of the directory, or
 * the given users (e.g. the sender of a message from someone not yet listed).
 *
 * A page lists users ordered by name (case-insensitive, then by `userID`), optionally only those
 * whose name starts with `query` (case-insensitive); `after` is the `next` of the previous page.
 */
export type FetchUsersInput =
  | { query?: string; after?: string; limit?: number }
  | { userIDs: string[] };
