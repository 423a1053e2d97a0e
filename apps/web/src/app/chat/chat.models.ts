import type { ErrorCode, Message } from '@chat/contracts';

export interface ChatMessage extends Message {
  fromSelf: boolean;
  /**
   * Ours, not stored yet: shown at once as "sending" (through lost connections too), replaced by
   * the stored message when the server acknowledges it.
   */
  pending: boolean;
  /** A pending message's id for the server, the same on every attempt (see `PendingSends`). */
  clientMessageId?: string;
}

export interface ChatUser {
  userID: string;
  username: string;
  self: boolean;
  connected: boolean;
  /** The conversation with this user, oldest first: the latest ones and any older pages loaded. */
  messages: readonly ChatMessage[];
  /**
   * The guide's `hasNewMessages`, derived: a message from this user newer than the last-read mark
   * of the conversation (kept in localStorage, so it survives a reload).
   */
  hasNewMessages: boolean;
  /** The server holds messages older than the first of `messages` (see `ChatStore.loadOlder`). */
  hasMoreMessages: boolean;
  /** A page of older messages is on its way. */
  loadingOlder: boolean;
  /** Why the last page of older messages did not come; the next attempt retries. */
  olderError: string | null;
  /** A sender not known yet: shown under a stand-in name until the server tells who it is. */
  placeholder: boolean;
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
  /** Why the last page did not come; `ChatStore.loadMoreUsers` retries. */
  error: string | null;
}

/** A message the server did not take; `content` lets the panel give the text back. */
export interface SendFailure {
  kind: 'send';
  to: string;
  content: string;
  code: ErrorCode;
  message: string;
}

export interface UsernameRefusal {
  kind: 'username';
  message: string;
}

export type ChatError = UsernameRefusal | SendFailure;
