/**
 * My read marker in one conversation: the id of the newest message of the other user read there
 * (on any device), and, where the server counted them, how many of theirs follow it.
 */
export interface ReadMarker {
  read?: string;
  /**
   * The server's count of their messages after `read` (over the whole history), plus those that
   * arrived here since. Absent where only the messages held here can tell.
   */
  unread?: number;
}

/** The newer of two message ids (ids sort in time order); either may be absent. */
export function newerId(
  a: string | undefined,
  b: string | undefined,
): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a >= b ? a : b;
}

/** The newest stored message of the other user in a conversation, if any. */
export function newestFromThem(
  messages: readonly { id: string; pending: boolean; fromSelf: boolean }[],
): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (!message.pending && !message.fromSelf) return message.id;
  }
  return undefined;
}

/**
 * Their messages not read yet. Where every message after the marker is held here (no older
 * page, or the marker inside what is held), counting those is exact. Otherwise some lie beyond
 * the pages loaded, and the server's count says how many (it may only lag behind by messages
 * arriving this instant).
 */
export function unreadCount(
  conversation: {
    messages: readonly { id: string; pending: boolean; fromSelf: boolean }[];
    hasMoreMessages: boolean;
  },
  marker: ReadMarker | undefined,
): number {
  const { messages, hasMoreMessages } = conversation;
  const read = marker?.read;
  let held = 0;
  let oldest: string | undefined;
  // Ordered by id: stop at the marker.
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message.pending) continue;
    if (read !== undefined && message.id <= read) {
      oldest = message.id;
      break;
    }
    oldest = message.id;
    if (!message.fromSelf) held++;
  }
  const beyondPages =
    hasMoreMessages &&
    (read === undefined || oldest === undefined || read < oldest);
  return beyondPages && marker?.unread !== undefined
    ? Math.max(held, marker.unread)
    : held;
}
