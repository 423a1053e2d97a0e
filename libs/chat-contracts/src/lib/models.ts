/** A stored private message as the wire sees it: the guide's fields plus `id` and `at`. */
export interface Message {
  /** Unique and sortable: later messages compare greater. */
  id: string;
  content: string;
  /** Always set by the server: the sender's `userID`. */
  from: string;
  to: string;
  /** Server time the message was accepted, ISO 8601. */
  at: string;
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
}

/** `auth` of the Socket.IO handshake. */
export interface HandshakeAuth {
  sessionID?: string;
  username?: string;
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
