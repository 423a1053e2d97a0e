/**
 * Last-read marks: per conversation (keyed by the other user's `userID`), the id of the newest
 * message the user has seen in it. Message ids sort in time order, so "unread" is a comparison.
 */
export type ReadMarks = ReadonlyMap<string, string>;

/** localStorage key of one identity's marks: two identities in one browser never mix. */
export function readMarksKey(userID: string): string {
  return `lastRead:${userID}`;
}

/** What `serializeReadMarks` wrote; anything unreadable counts as no marks at all. */
export function parseReadMarks(raw: string | null): ReadMarks {
  const marks = new Map<string, string>();
  if (!raw) return marks;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return marks;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return marks;
  for (const [userID, id] of Object.entries(value)) {
    if (typeof id === 'string' && id) marks.set(userID, id);
  }
  return marks;
}

export function serializeReadMarks(marks: ReadMarks): string {
  return JSON.stringify(Object.fromEntries(marks));
}

/** The newer mark of each conversation; `current` itself when `other` has nothing newer. */
export function mergeReadMarks(
  current: ReadMarks,
  other: ReadMarks,
): ReadMarks {
  let merged: Map<string, string> | null = null;
  for (const [userID, id] of other) {
    const mark = current.get(userID);
    if (mark !== undefined && mark >= id) continue;
    merged ??= new Map(current);
    merged.set(userID, id);
  }
  return merged ?? current;
}

/** The marks without the one of `userID`'s conversation; `marks` itself when it has none. */
export function withoutReadMark(marks: ReadMarks, userID: string): ReadMarks {
  if (!marks.has(userID)) return marks;
  const rest = new Map(marks);
  rest.delete(userID);
  return rest;
}

/** Unread: a stored message from the other user newer than the mark (any, without a mark). */
export function hasUnread(
  messages: readonly { id: string; pending: boolean; fromSelf: boolean }[],
  mark: string | undefined,
): boolean {
  // Messages are ordered by id: the newest one from the other user decides.
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message.pending || message.fromSelf) continue;
    return mark === undefined || message.id > mark;
  }
  return false;
}

/** Stored messages from the other user newer than the mark (all of them, without a mark). */
export function unreadCount(
  messages: readonly { id: string; pending: boolean; fromSelf: boolean }[],
  mark: string | undefined,
): number {
  let count = 0;
  // Ordered by id: stop at the mark.
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message.pending || message.fromSelf) continue;
    if (mark !== undefined && message.id <= mark) break;
    count++;
  }
  return count;
}
