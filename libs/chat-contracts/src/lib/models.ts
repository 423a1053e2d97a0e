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
  /** That conversation's messages with the receiving user, oldest first. */
  messages: Message[];
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
