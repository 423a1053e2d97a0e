import type {
  ChatMessage,
  ChatUser,
} from '../conversations/conversation.models';

/** A ChatUser with sensible defaults for component tests. */
export function chatUser(
  overrides: Partial<ChatUser> & Pick<ChatUser, 'username'>,
): ChatUser {
  const connected = overrides.connected ?? true;
  return {
    userID: `u${overrides.username}`,
    self: false,
    connected,
    displayName: overrides.username,
    presence: connected ? 'online' : 'offline',
    messages: [],
    hasNewMessages: false,
    unreadCount: 0,
    receipts: {},
    hasMoreMessages: false,
    loadingOlder: false,
    olderError: null,
    placeholder: false,
    ...overrides,
  };
}

let seq = 0;

/** A stored message; `fromSelf` decides the direction between `self` and `other`. */
export function chatMessage(
  content: string,
  fromSelf: boolean,
  overrides: Partial<ChatMessage> = {},
): ChatMessage {
  const id = `m${String(++seq).padStart(5, '0')}`;
  return {
    id,
    content,
    from: fromSelf ? 'uself' : 'uother',
    to: fromSelf ? 'uother' : 'uself',
    at: '2024-01-01T12:00:00.000Z',
    fromSelf,
    pending: false,
    ...overrides,
  };
}
