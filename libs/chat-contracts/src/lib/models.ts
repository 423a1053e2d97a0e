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
  // Ours (additive), the conversation's state (PROTOCOL: "Conversation state"): only on the entry
  // of a user the receiving user has a conversation with, never on their own.
  /** The receiving user's read marker: the id of the last message from this user they read. */
  readUpTo?: string;
  /** Messages from this user after `readUpTo` (all if it is absent), over the whole history. */
  unread?: number;
  /** This user's delivered marker over the receiving user's messages. */
  theirDeliveredUpTo?: string;
  /** This user's public read marker over the receiving user's messages, where both have `readReceipts` on. */
  theirReadUpTo?: string;
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
  /** Ours (additive): the user's privacy settings; this server always sends them. */
  settings?: Settings;
}

/**
 * A user's privacy settings (ours), stored with the session, the same on every tab and node.
 * Both default to `true`.
 */
export interface Settings {
  /**
   * Off: the user's reads still move their own read marker (their devices stay in sync), but
   * nobody is told, and they see nobody's read receipts either (delivered still shows). Reads
   * made while it is off are never revealed, even once it is back on.
   */
  readReceipts: boolean;
  /** Off: the user's typing is not forwarded, and they receive nobody's. */
  typing: boolean;
}

/** `settings` (client → server): the settings to change; absent ones stay as they are. */
export type SettingsInput = Partial<Settings>;

/**
 * `receipt` (client → server): "I hold (`delivered`) / have displayed (`read`) every message that
 * `userID` sent me up to and including this id". At least one of the two; each must be the id of
 * a message from `userID` to the caller.
 */
export interface ReceiptInput {
  userID: string;
  delivered?: string;
  read?: string;
}

/**
 * `receipt` (server → client), to every tab of the sender: `userID` received (`delivered`) or read
 * (`read`, only where both users have `readReceipts` on) the sender's messages up to these ids.
 * Only the markers that moved are present.
 */
export interface Receipt {
  userID: string;
  delivered?: string;
  read?: string;
  /** When the server applied it, ISO 8601. */
  at: string;
}

/**
 * `read marker` (server → client), to every tab of the reader, the one that sent the receipt
 * included: the reader's own read marker in the conversation with `userID` moved to `read`;
 * `unread` messages from `userID` follow it.
 */
export interface ReadMarker {
  userID: string;
  read: string;
  unread: number;
}

/** `typing` (client → server): the caller started (`true`) or stopped (`false`) writing to `to`. */
export interface TypingInput {
  to: string;
  typing: boolean;
}

/** `typing` (server → client), to every tab of the recipient: `userID` is writing to you, or stopped. */
export interface Typing {
  userID: string;
  typing: boolean;
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
