import { Injectable, Logger } from '@nestjs/common';
import {
  DIRECTORY_PAGE_SIZE,
  ErrorCode,
  validateFetchUsers,
  type FetchUsersAck,
  type SocketData,
  type UserView,
} from '@chat/contracts';
import {
  ConversationStateService,
  type ConversationFields,
} from '../conversation-state/conversation-state.service';
import { MessagingService } from '../messaging/messaging.service';
import type { RecentConversation } from '../messaging/stores/message.store';
import { EVERYONE_ROOM, watchRoom } from '../presence/presence-rooms';
import { PresenceService } from '../presence/presence.service';
import { RateLimits } from '../rate-limiting/rate-limits';
import {
  SessionStore,
  type StoredSession,
} from '../sessions/stores/session.store';
import { describeError } from '../shared/describe-error';
import { isoTime } from '../shared/iso-time';
import { nameKey } from './directory-order';

/**
 * Puts the asking socket in these rooms, and resolves once it is in them: a directory read joins
 * the rooms of the users it returns before it reads their presence, so that a change after the
 * read reaches the socket as an event.
 */
export type JoinRooms = (rooms: string[]) => Promise<void> | void;

/**
 * A user as `users` and `fetch users` show them: presence from the presence store (live, on every
 * node), when they were last seen if offline, that conversation's recent messages if the reader has
 * one, and its state (read and delivered markers, unread count).
 */
const toUserView = (
  session: StoredSession,
  online: ReadonlySet<string>,
  conversation?: RecentConversation,
  fields?: ConversationFields,
): UserView => {
  const connected = online.has(session.userID);
  return {
    userID: session.userID,
    username: session.username,
    connected,
    messages: conversation?.messages ?? [],
    ...(conversation?.hasMore && { hasMoreMessages: true }),
    ...(!connected && { lastSeen: isoTime(session.lastSeen) }),
    ...fields,
  };
};

/**
 * The users a client sees: the guide's whole list with every conversation's recent messages, or
 * the paged directory (`auth.directory = 'paged'`): the user's own conversations first, the rest
 * by pages and name searches (`fetch users`).
 */
@Injectable()
export class DirectoryService {
  private readonly logger = new Logger('Directory');

  constructor(
    private readonly sessions: SessionStore,
    private readonly presence: PresenceService,
    private readonly messaging: MessagingService,
    private readonly conversationState: ConversationStateService,
    private readonly limits: RateLimits,
  ) {}

  /**
   * The rooms a socket joins on connection: its user's own (every tab of the user) and, with the
   * guide's directory, the room where everyone's presence is told.
   */
  roomsOnConnect({ userID, directory }: SocketData): string[] {
    return directory === 'paged' ? [userID] : [userID, EVERYONE_ROOM];
  }

  /** `users` for a socket that just connected (and joined `roomsOnConnect`). Rejects if a store fails. */
  usersOnConnect(user: SocketData, join: JoinRooms): Promise<UserView[]> {
    return user.directory === 'paged'
      ? this.ownUsersFor(user.userID, join)
      : this.usersFor(user.userID);
  }

  /**
   * Every known user as `userID` sees them, with the last `historyLimit` messages of that
   * conversation, oldest first, and `hasMoreMessages` when older ones exist.
   */
  async usersFor(userID: string): Promise<UserView[]> {
    const [sessions, conversations] = await Promise.all([
      this.sessions.findAllSessions(),
      this.messaging.recentConversations(userID),
    ]);
    const byPeer = new Map(conversations.map((c) => [c.peerID, c]));
    // Live presence, on every node: the stored flag only matters for expiry.
    const [online, fields] = await Promise.all([
      this.presence.onlineAmong(sessions.map((session) => session.userID)),
      this.conversationState.fieldsFor(userID, [...byPeer.keys()]),
    ]);
    return sessions.map((session) =>
      toUserView(
        session,
        online,
        byPeer.get(session.userID),
        fields.get(session.userID),
      ),
    );
  }

  /**
   * A page of the directory (`{ query?, after?, limit? }`) or the users asked for by id
   * (`{ userIDs }`), with their presence; from then on the socket hears about them (their watch
   * rooms), and about everyone if the whole directory fit in its first page. Never rejects.
   */
  async fetchUsers(
    userID: string,
    payload: unknown,
    join: JoinRooms,
  ): Promise<FetchUsersAck> {
    const limited = await this.limits.fetch(userID);
    if (limited) return { ok: false, error: limited };
    const input = validateFetchUsers(payload);
    if (!input.ok) return { ok: false, error: input.error };
    try {
      let sessions: StoredSession[];
      let next: string | undefined;
      let everyone = false;
      if ('userIDs' in input.value) {
        const found = await Promise.all(
          [...new Set(input.value.userIDs)].map((id) =>
            this.sessions.findSessionByUserID(id),
          ),
        );
        sessions = found.filter((session) => session !== undefined);
      } else {
        const { query, after, limit } = input.value;
        ({ sessions, next } = await this.sessions.findDirectory({
          prefix: query === undefined ? undefined : nameKey(query),
          after,
          limit: limit ?? DIRECTORY_PAGE_SIZE,
        }));
        everyone = !query && after === undefined && next === undefined;
      }
      const rooms = sessions.map((session) => watchRoom(session.userID));
      // Join first, read presence after: a change after the read reaches the socket as an event.
      await join(everyone ? [...rooms, EVERYONE_ROOM] : rooms);
      const ids = sessions.map((session) => session.userID);
      const [online, fields] = await Promise.all([
        this.presence.onlineAmong(ids),
        this.conversationState.fieldsFor(userID, ids),
      ]);
      return {
        ok: true,
        users: sessions.map((session) =>
          toUserView(session, online, undefined, fields.get(session.userID)),
        ),
        ...(next !== undefined && { next }),
      };
    } catch (error) {
      this.logger.error(
        `fetching users for ${userID} failed: ${describeError(error)}`,
      );
      return { ok: false, error: ErrorCode.Unavailable };
    }
  }

  /**
   * `users` for a socket of the paged directory: the user and the users they have conversations
   * with (the rest of the directory comes with `fetch users`). The socket joins those users'
   * watch rooms before their presence is read, so a later change reaches it as an event.
   */
  private async ownUsersFor(
    userID: string,
    join: JoinRooms,
  ): Promise<UserView[]> {
    const conversations = await this.messaging.recentConversations(userID);
    const byPeer = new Map(conversations.map((c) => [c.peerID, c]));
    const others = [...byPeer.keys()].filter((id) => id !== userID);
    await join(others.map(watchRoom));
    const peers = [userID, ...others]; // yourself first, as the guide lists
    const [sessions, online, fields] = await Promise.all([
      Promise.all(peers.map((id) => this.sessions.findSessionByUserID(id))),
      this.presence.onlineAmong(peers),
      this.conversationState.fieldsFor(userID, others),
    ]);
    return sessions
      .filter((session) => session !== undefined)
      .map((session) =>
        toUserView(
          session,
          online,
          byPeer.get(session.userID),
          fields.get(session.userID),
        ),
      );
  }
}
