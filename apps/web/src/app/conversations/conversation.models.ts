import type { Message } from '@chat/contracts';
import type { UserListItem } from '../directory/directory.models';
import type { TheirMarkers } from '../receipts/receipts.store';

export interface ChatMessage extends Message {
  fromSelf: boolean;
  /**
   * Ours, not stored yet: shown at once as "sending" (through lost connections too), replaced by
   * the stored message when the server acknowledges it.
   */
  pending: boolean;
  /** A pending message's id for the server, the same on every attempt (see `OutboxStore`). */
  clientMessageId?: string;
  /** Ours, given up on (still pending: never stored); Retry sends it again. */
  failed?: boolean;
}

/** The conversation with one user, as held here. */
export interface Conversation {
  /** Oldest first: the latest ones and any older pages loaded, then our messages on their way. */
  messages: readonly ChatMessage[];
  /** The server holds messages older than the first of `messages` (see `loadOlder`). */
  hasMoreMessages: boolean;
  /** A page of older messages is on its way. */
  loadingOlder: boolean;
  /** Why the last page of older messages did not come; the next attempt retries. */
  olderError: string | null;
}

/** One user of the list with our conversation with them: what the components show. */
export interface ChatUser extends UserListItem, Conversation {
  /**
   * The guide's `hasNewMessages`, derived: a message from this user newer than my read marker
   * of the conversation (see `ReadStateStore`).
   */
  hasNewMessages: boolean;
  /** How far they got with my messages: delivered, read (see `ReceiptsStore`). */
  receipts: TheirMarkers;
}

/**
 * The conversation the URL names (`/chat/:userID`), as far as it can be shown: `open`,
 * `looking-up` (not known here yet: asked of the server), `missing` (no such user, or their
 * session expired and they were forgotten; ourselves too), or `none` (no conversation named).
 */
export type Selection = 'none' | 'open' | 'looking-up' | 'missing';

/** A message from someone else, arrived live (not replayed, not an older page). */
export interface IncomingMessage {
  message: ChatMessage;
  /** The sender, as the screen names them. */
  from: ChatUser | undefined;
}
