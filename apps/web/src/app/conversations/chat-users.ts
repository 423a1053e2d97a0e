import type { ShownPerson } from '../directory/directory.models';
import type { TheirMarkers } from '../receipts/receipts.store';
import { type ReadMarker, unreadCount } from '../read-state/unread';
import type { ChatUser, Conversation } from './conversation.models';

const NO_RECEIPTS: TheirMarkers = {};

/** A person of the directory with our conversation, its unread count and their receipts. */
export function toChatUser(
  person: ShownPerson,
  conversation: Conversation,
  marker: ReadMarker | undefined,
  receipts: TheirMarkers | undefined,
): ChatUser & { listed: boolean } {
  const unread = unreadCount(conversation, marker);
  return {
    ...person,
    ...conversation,
    hasNewMessages: unread > 0,
    unreadCount: unread,
    receipts: receipts ?? NO_RECEIPTS,
  };
}

/** The latest message first (a pending send's time is when it was written). */
export function byLatestMessage(a: ChatUser, b: ChatUser): number {
  const x = a.messages[a.messages.length - 1];
  const y = b.messages[b.messages.length - 1];
  return x.at > y.at ? -1 : x.at < y.at ? 1 : x.id > y.id ? -1 : 1;
}
