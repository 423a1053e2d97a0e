import type { EnvironmentProviders, Provider } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { ChatEvent, type Message, type UserView } from '@chat/contracts';
import {
  CHAT_CONFIG,
  type ChatConfig,
  DEFAULT_CHAT_CONFIG,
} from '../core/chat-config';
import { CHAT_SOCKET } from '../core/chat-socket';
import { ConnectionStore } from '../core/connection.store';
import { ConversationsStore } from '../conversations/conversations.store';
import { DirectoryStore } from '../directory/directory.store';
import { NotificationsStore } from '../notifications/notifications.store';
import { OutboxStore } from '../outbox/outbox.store';
import { provideChatStores } from '../provide-chat';
import { ReadStateStore } from '../read-state/read-state.store';
import { SettingsStore } from '../settings/settings.store';
import { TypingStore } from '../typing/typing.store';
import { FakeChatSocket } from './fake-chat-socket';

/**
 * The chat's stores over a fake socket, created as the app creates them (`provideChatStores`):
 * the test plays the server through `socket` and reads each store.
 */
export function createChat(
  options: {
    config?: Partial<ChatConfig>;
    providers?: (Provider | EnvironmentProviders)[];
  } = {},
) {
  const socket = new FakeChatSocket();
  TestBed.configureTestingModule({
    providers: [
      { provide: CHAT_SOCKET, useValue: socket },
      {
        provide: CHAT_CONFIG,
        useValue: { ...DEFAULT_CHAT_CONFIG, ...options.config },
      },
      ...(options.providers ?? []),
      provideChatStores(),
    ],
  });
  const connection = TestBed.inject(ConnectionStore);
  const outbox = TestBed.inject(OutboxStore);
  return {
    socket,
    connection,
    directory: TestBed.inject(DirectoryStore),
    readState: TestBed.inject(ReadStateStore),
    settings: TestBed.inject(SettingsStore),
    conversations: TestBed.inject(ConversationsStore),
    outbox,
    typing: TestBed.inject(TypingStore),
    notifications: TestBed.inject(NotificationsStore),
    /** The last failure reported: a refused username, or a failed send. */
    lastError: () => outbox.lastFailure() ?? connection.usernameError(),
  };
}

export type Chat = ReturnType<typeof createChat>;

export const ALICE = {
  sessionID: 'sessAlice0123456789',
  userID: 'uAlice',
  username: 'alice',
};

export function view(
  userID: string,
  username: string,
  connected = true,
  messages: Message[] = [],
  hasMoreMessages?: boolean,
): UserView {
  return hasMoreMessages === undefined
    ? { userID, username, connected, messages }
    : { userID, username, connected, messages, hasMoreMessages };
}

let seq = 0;
export function message(
  from: string,
  to: string,
  content: string,
  id = `m${String(++seq).padStart(4, '0')}`,
): Message {
  return {
    id,
    from,
    to,
    content,
    at: new Date(2024, 0, 1, 12, 0, seq).toISOString(),
  };
}

/** Lets the stores' `.then` on an acknowledgement run (through a `.catch` or two). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** The app starts over `stored` localStorage, with short delays and bounds. */
export function setup(stored: Record<string, string> = {}): Chat {
  for (const [key, value] of Object.entries(stored))
    localStorage.setItem(key, value);
  return createChat({
    config: {
      retryDelayMs: 100,
      maxRetryDelayMs: 400,
      sendMaxAttempts: 3,
      sendMaxAgeMs: 60_000,
    },
  });
}

/** alice signs in; bob and carol (offline) are known to the server. */
export function signedIn(
  users: UserView[] = [view('uBob', 'bob'), view('uCarol', 'carol', false)],
): Chat {
  const chat = setup();
  chat.connection.selectUsername('alice');
  chat.socket.connectOk();
  chat.socket.serverEmit(ChatEvent.Session, ALICE);
  chat.socket.serverEmit(ChatEvent.Users, [
    view(ALICE.userID, 'alice'),
    ...users,
  ]);
  return chat;
}

/**
 * The page is reloaded: new stores on the same localStorage resume the session, and the server
 * replays `users` (self first).
 */
export function reload(users: UserView[], session: typeof ALICE = ALICE): Chat {
  TestBed.resetTestingModule();
  const chat = setup();
  chat.socket.connectOk();
  chat.socket.serverEmit(ChatEvent.Session, session);
  chat.socket.serverEmit(ChatEvent.Users, [
    view(session.userID, session.username),
    ...users,
  ]);
  return chat;
}

/** Every `receipt` the client sent, in order. */
export const receiptsSent = (chat: Chat) =>
  chat.socket.receipts.map((s) => s.payload);

export const names = (conversations: ConversationsStore) =>
  conversations.users().map((u) => u.username);
export const user = (conversations: ConversationsStore, username: string) => {
  const found = conversations.users().find((u) => u.username === username);
  if (!found) throw new Error(`no user ${username}`);
  return found;
};
export const contents = (conversations: ConversationsStore, username: string) =>
  user(conversations, username).messages.map((m) => m.content);
