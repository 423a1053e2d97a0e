/**
 * A reader's markers over the messages one peer sent them, each a message id or absent; a marker
 * covers every message up to and including its id, and never moves back.
 */
export interface Markers {
  /** A client of the reader holds them. */
  delivered?: string;
  /** The reader displayed them (their own devices see it). */
  read?: string;
  /** What the peer may see of `read`: moved only by reads made with `readReceipts` on. */
  publicRead?: string;
}

/** One `receipt`: the reader holds or read the peer's messages up to these ids. */
export interface MarkerUpdate {
  reader: string;
  /** The sender of the messages; never the reader. */
  peer: string;
  delivered?: string;
  read?: string;
  /** Whether `read` also moves the public read marker (the reader's `readReceipts` is on). */
  publicRead: boolean;
}

export type MarkerUpdateResult =
  /** An id is not a message from `peer` to `reader`: nothing of the update was applied. */
  | { ok: false }
  | {
      ok: true;
      /** The markers that moved, with their new ids (none: the update was behind them). */
      moved: Markers;
      /** Messages from `peer` to `reader` after the read marker (all if there is none). */
      unread: number;
    };

/** One of a user's conversations as that user sees its state. */
export interface ConversationState {
  peerID: string;
  /** The user's read marker over the peer's messages. */
  read?: string;
  /** Messages from the peer after `read` (all of them if absent), over the whole history. */
  unread: number;
  /** The peer's delivered marker over the user's messages. */
  theirDelivered?: string;
  /** The peer's public read marker over the user's messages. */
  theirPublicRead?: string;
}

/**
 * Where the markers of every conversation live, with what counting unread messages needs.
 * Abstract class: it is also the DI token. An implementation reads the messages of the
 * `MessageStore` of its own backend (a receipt names message ids; unread counts messages), so
 * the contract suite builds both on the same data.
 *
 * Markers only move forward: an update with an older id than the stored one changes nothing. A
 * `read` also moves `delivered` to at least the same id. Unread counts cover the whole history,
 * without reading a conversation's messages (an index, a counter): they stay cheap for long ones.
 */
export abstract class ConversationStateStore {
  /**
   * Applies one receipt, once every id it names is checked to be a message from `peer` to `reader`
   * (otherwise nothing at all): resolves once durable. Updates of one turn may be written together.
   */
  abstract updateMarkers(update: MarkerUpdate): Promise<MarkerUpdateResult>;

  /**
   * The state of each conversation of `userID` with one of `peerIDs` that has messages (either
   * way), in no particular order; peers without a conversation are left out. One query for any
   * number of peers (or one round trip).
   */
  abstract findStates(
    userID: string,
    peerIDs: readonly string[],
  ): Promise<ConversationState[]>;

  /**
   * Forgets a user: deletes at most about `limit` of the markers they keep or are kept about (and
   * whatever else is kept per conversation for them), so that a caller can yield between calls;
   * resolves true once none is left. Called before their messages are deleted (a store may find
   * their conversations through them) and once more after (a receipt in between may have written
   * a marker again; once the messages are gone, none can name one).
   */
  abstract deleteUserMarkers(userID: string, limit: number): Promise<boolean>;
}

/** The greater of two ids (ids sort in the order messages were accepted); absent counts least. */
const later = (a: string | undefined, b: string | undefined) =>
  a === undefined || (b !== undefined && b > a) ? b : a;

/**
 * The markers after `update` (which is checked already), and those that moved: each moves forward
 * only; `read` also moves `delivered`, and the public read marker if `publicRead`. For stores that
 * apply updates in JavaScript.
 */
export function advanceMarkers(
  current: Markers,
  update: Pick<MarkerUpdate, 'delivered' | 'read' | 'publicRead'>,
): { markers: Markers; moved: Markers } {
  const markers: Markers = {
    delivered: later(later(current.delivered, update.delivered), update.read),
    read: later(current.read, update.read),
    publicRead: update.publicRead
      ? later(current.publicRead, update.read)
      : current.publicRead,
  };
  const moved: Markers = {};
  for (const marker of ['delivered', 'read', 'publicRead'] as const)
    if (markers[marker] !== current[marker]) moved[marker] = markers[marker];
  return { markers, moved };
}

/** The state without its absent markers (no key at all), as every store returns it. */
export function definedOnly(state: ConversationState): ConversationState {
  const result: ConversationState = {
    peerID: state.peerID,
    unread: state.unread,
  };
  if (state.read !== undefined) result.read = state.read;
  if (state.theirDelivered !== undefined)
    result.theirDelivered = state.theirDelivered;
  if (state.theirPublicRead !== undefined)
    result.theirPublicRead = state.theirPublicRead;
  return result;
}
