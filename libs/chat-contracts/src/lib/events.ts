import type {
  FetchMessagesAck,
  FetchUsersAck,
  PrivateMessageAck,
  ReceiptAck,
  SettingsAck,
} from './ack';
import type {
  DirectoryMode,
  FetchMessagesInput,
  FetchUsersInput,
  ForgottenUser,
  Message,
  PrivateMessageInput,
  ReadMarker,
  Receipt,
  ReceiptInput,
  SessionInfo,
  Settings,
  SettingsInput,
  Typing,
  TypingInput,
  UserView,
} from './models';

/** The guide's event names, spelled once. */
export const ChatEvent = {
  Session: 'session',
  Users: 'users',
  UserConnected: 'user connected',
  UserDisconnected: 'user disconnected',
  PrivateMessage: 'private message',
  /** Ours (additive): a page of older messages of one conversation, answered by acknowledgement. */
  FetchMessages: 'fetch messages',
  /** Ours (additive): a page of the user directory, or given users, answered by acknowledgement. */
  FetchUsers: 'fetch users',
  /** Ours (additive): a user's session expired and was deleted, with their conversations. */
  UserForgotten: 'user forgotten',
  /** Ours (additive): delivered / read receipts, both directions (PROTOCOL: "Conversation state"). */
  Receipt: 'receipt',
  /** Ours (additive): the reader's own read marker moved, to all their tabs. */
  ReadMarker: 'read marker',
  /** Ours (additive): someone started or stopped writing to you. Never stored. */
  Typing: 'typing',
  /** Ours (additive): the user's privacy settings, changed or as they are. */
  Settings: 'settings',
} as const;
export type ChatEventName = (typeof ChatEvent)[keyof typeof ChatEvent];

/**
 * The one `connect_error` message for every refused username: the guide's client reacts to
 * exactly this text. A more precise reason travels in `err.data` (see `ConnectErrorData`).
 * Other refusals have an `ErrorCode` as message: `rate limited` (too many new sessions, or open
 * connections, from one address), `unavailable` (the server's store failed).
 */
export const INVALID_USERNAME = 'invalid username';

/** `err.data` of a refused handshake (additive to the guide). */
export interface ConnectErrorData {
  reason: string;
}

export interface ServerToClientEvents {
  [ChatEvent.Session]: (session: SessionInfo) => void;
  [ChatEvent.Users]: (users: UserView[]) => void;
  [ChatEvent.UserConnected]: (user: UserView) => void;
  /** Payload: the bare `userID` (the guide's shape). */
  [ChatEvent.UserDisconnected]: (userID: string) => void;
  [ChatEvent.PrivateMessage]: (message: Message) => void;
  /** To whoever hears about the user's presence; a guide client ignores it. */
  [ChatEvent.UserForgotten]: (forgotten: ForgottenUser) => void;
  /** To every tab of the sender of the messages received or read. */
  [ChatEvent.Receipt]: (receipt: Receipt) => void;
  /** To every tab of the reader, the one that sent the receipt included. */
  [ChatEvent.ReadMarker]: (marker: ReadMarker) => void;
  /** To every tab of the user written to. */
  [ChatEvent.Typing]: (typing: Typing) => void;
  /** To every tab of the user after a change, the changing one included. */
  [ChatEvent.Settings]: (settings: Settings) => void;
}

export interface ClientToServerEvents {
  /** The acknowledgement is ours and optional: the guide's client sends without one. */
  [ChatEvent.PrivateMessage]: (
    payload: PrivateMessageInput,
    ack?: (response: PrivateMessageAck) => void,
  ) => void;
  [ChatEvent.FetchMessages]: (
    payload: FetchMessagesInput,
    ack: (response: FetchMessagesAck) => void,
  ) => void;
  [ChatEvent.FetchUsers]: (
    payload: FetchUsersInput,
    ack: (response: FetchUsersAck) => void,
  ) => void;
  /** The acknowledgement is optional. */
  [ChatEvent.Receipt]: (
    payload: ReceiptInput,
    ack?: (response: ReceiptAck) => void,
  ) => void;
  /** No acknowledgement: a typing notice that cannot go is dropped silently. */
  [ChatEvent.Typing]: (payload: TypingInput) => void;
  [ChatEvent.Settings]: (
    payload: SettingsInput,
    ack?: (response: SettingsAck) => void,
  ) => void;
}

// Nodes talk to each other only through the adapter's rooms for now.
// eslint-disable-next-line @typescript-eslint/no-empty-interface, @typescript-eslint/no-empty-object-type
export interface InterServerEvents {}

/** What the handshake middleware establishes; typed `socket.data` on the server. */
export interface SocketData {
  sessionID: string;
  userID: string;
  username: string;
  /** From the handshake's `auth.directory`. */
  directory: DirectoryMode;
}
