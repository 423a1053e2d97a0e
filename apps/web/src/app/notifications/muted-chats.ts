import { parseUserId } from '@chat/contracts';

/** The conversations (by the other user's id) whose messages notify nobody. */
export type MutedChats = ReadonlySet<string>;

/** localStorage key of one identity's muted conversations: two identities never mix. */
export function mutedChatsKey(userID: string): string {
  return `mutedChats:${userID}`;
}

/** What `serializeMutedChats` wrote; anything unreadable counts as nothing muted. */
export function parseMutedChats(raw: string | null): MutedChats {
  if (!raw) return new Set();
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return new Set();
  }
  if (!Array.isArray(value)) return new Set();
  return new Set(value.filter((id) => parseUserId(id) !== undefined));
}

export function serializeMutedChats(muted: MutedChats): string {
  return JSON.stringify([...muted]);
}
