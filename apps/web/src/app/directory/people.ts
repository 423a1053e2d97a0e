import type { UserView } from '@chat/contracts';
import type { ChatUser } from '../chat/chat.models';

/**
 * A user as the store keeps it; `hasNewMessages` is derived from the read marks. `listed`: part of
 * the list (not only a search result).
 */
export type UserState = Omit<ChatUser, 'hasNewMessages'> & { listed: boolean };

/** Self first, then by username, then by id so that equal names keep one order. */
export function compareUsers(a: UserState, b: UserState): number {
  if (a.self !== b.self) return a.self ? -1 : 1;
  return (
    a.username.localeCompare(b.username) ||
    (a.userID < b.userID ? -1 : a.userID > b.userID ? 1 : 0)
  );
}

export interface MergeUserViewsOptions {
  selfID: string | undefined;
  /** Our own presence is our socket's, whatever the server's answer says. */
  selfConnected: boolean;
  /** The views join the list (a directory page, a look-up), not only the search results. */
  listed: boolean;
}

/**
 * Users the server answered with join those held: names and presence update, conversations and
 * unread state stay, and a listed user stays listed. New users come after those held.
 */
export function mergeUserViews(
  users: readonly UserState[],
  views: readonly UserView[],
  { selfID, selfConnected, listed }: MergeUserViewsOptions,
): UserState[] {
  const merged = new Map(users.map((user) => [user.userID, user]));
  for (const view of views) {
    const self = view.userID === selfID;
    const held = merged.get(view.userID);
    merged.set(view.userID, {
      userID: view.userID,
      messages: [],
      hasMoreMessages: false,
      loadingOlder: false,
      olderError: null,
      ...held,
      username: view.username,
      self,
      connected: self ? selfConnected : view.connected,
      placeholder: false,
      listed: listed || !!held?.listed,
    });
  }
  return [...merged.values()];
}
