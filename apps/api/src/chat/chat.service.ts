import { Injectable, Logger } from '@nestjs/common';
import {
  ChatEvent,
  ErrorCode,
  FETCH_MESSAGES_MAX,
  parseSessionId,
  validateFetchMessages,
  validatePrivateMessage,
  validateUsername,
  type FetchMessagesAck,
  type Message,
  type PrivateMessageAck,
  type SocketData,
  type UserView,
} from '@chat/contracts';
import { DEFAULT_HISTORY_LIMIT } from '../config/app-config';
import type { ChatSocket } from './chat.types';
import { Clock } from './clock';
import { IdGenerator } from './ids';
import { KeyedQueue } from './keyed-queue';
import { RateLimiter } from './rate-limiter';
import { MessageStore } from './stores/message.store';
import { SessionStore } from './stores/session.store';

export type HandshakeResult =
  | { ok: true; data: SocketData; resumed: boolean }
  | { ok: false; reason: string };

const failure = (error: ErrorCode): { ok: false; error: ErrorCode } => ({
  ok: false,
  error,
});

/** The chat's settings from config. */
export class ChatOptions {
  /** Messages per conversation in `users`; the default page of `fetch messages` (up to its max). */
  historyLimit = DEFAULT_HISTORY_LIMIT;

  constructor(options: Partial<ChatOptions> = {}) {
    Object.assign(this, options);
  }
}

// Fetching history has its own token bucket (same rate as messages), so reading back through a
// long conversation never costs the right to send. UserIDs have no ':'.
const fetchBucket = (userID: string) => `fetch:${userID}`;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const describeError = (error: unknown): string =>
  error instanceof Error ? (error.stack ?? error.message) : String(error);

/** The chat's rules: sessions, presence, routing and history. Transport-free except for sockets. */
@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);
  // Serialises each user's connects and disconnects so presence never ends up stale.
  private readonly presence = new KeyedQueue();

  constructor(
    private readonly sessions: SessionStore,
    private readonly messages: MessageStore,
    private readonly ids: IdGenerator,
    private readonly rateLimiter: RateLimiter,
    private readonly clock: Clock,
    private readonly options: ChatOptions,
  ) {}

  /**
   * Decides the identity of a connecting socket from its handshake `auth`, which may be anything.
   * Writes nothing: a refused handshake leaves no trace, and an accepted one is stored on connection.
   * Rejects only if the store fails.
   */
  async authenticate(auth: unknown): Promise<HandshakeResult> {
    const fields = isRecord(auth) ? auth : {};
    const sessionID = parseSessionId(fields['sessionID']);
    if (sessionID !== undefined) {
      const session = await this.sessions.findSession(sessionID);
      if (session) {
        const { userID, username } = session;
        return {
          ok: true,
          resumed: true,
          data: { sessionID, userID, username },
        };
      }
    }
    // No usable session: an unknown or expired sessionID with a valid username starts afresh.
    const username = validateUsername(fields['username']);
    if (!username.ok) return { ok: false, reason: username.error };
    return {
      ok: true,
      resumed: false,
      data: {
        sessionID: this.ids.sessionID(),
        userID: this.ids.userID(),
        username: username.value,
      },
    };
  }

  /** The protocol's on-connection sequence. Never rejects: a failure is logged and the socket dropped. */
  async onConnection(socket: ChatSocket): Promise<void> {
    const { sessionID, userID, username } = socket.data;
    try {
      await this.presence.run(userID, async () => {
        await this.sessions.saveSession({
          sessionID,
          userID,
          username,
          connected: true,
          lastSeen: this.clock.now(),
        });
        if (socket.disconnected) return; // its disconnect is queued behind us and will clean up
        socket.emit(ChatEvent.Session, { sessionID, userID, username });
        await socket.join(userID);
        // Read history only after joining: a message stored earlier is in it, a later one arrives live.
        const users = await this.usersFor(userID);
        if (socket.disconnected) return;
        socket.emit(ChatEvent.Users, users);
        socket.broadcast.emit(ChatEvent.UserConnected, {
          userID,
          username,
          connected: true,
          messages: [],
        });
      });
    } catch (error) {
      this.logger.error(
        `connection of user ${userID} failed: ${describeError(error)}`,
      );
      socket.disconnect();
    }
  }

  /**
   * Announces the user offline once their last socket (on any node, through the adapter) is gone.
   * Never rejects.
   */
  async onDisconnect(socket: ChatSocket, reason?: string): Promise<void> {
    const { sessionID, userID, username } = socket.data;
    if (!userID) return; // refused at the handshake: never was anyone
    this.logger.debug(
      `socket ${socket.id} of user ${userID} disconnected (${reason})`,
    );
    try {
      await this.presence.run(userID, async () => {
        const remaining = await socket.nsp.in(userID).fetchSockets();
        if (remaining.length > 0) return;
        socket.broadcast.emit(ChatEvent.UserDisconnected, userID);
        // From now on the session's inactivity counts towards SESSION_TTL.
        await this.sessions.saveSession({
          sessionID,
          userID,
          username,
          connected: false,
          lastSeen: this.clock.now(),
        });
      });
    } catch (error) {
      this.logger.error(
        `disconnection of user ${userID} failed: ${describeError(error)}`,
      );
    }
  }

  /**
   * Validates, stores, then routes one message to every socket of the recipient and the sender's
   * other sockets. Never rejects: every failure is an error code, and nothing is emitted unless stored.
   */
  async sendPrivateMessage(
    socket: ChatSocket,
    payload: unknown,
  ): Promise<PrivateMessageAck> {
    const from = socket.data.userID;
    // Counted before validation, so floods of garbage are bounded too.
    if (!this.rateLimiter.tryTake(from)) return failure(ErrorCode.RateLimited);
    const input = validatePrivateMessage(payload);
    if (!input.ok) return failure(input.error);
    const { content, to } = input.value;

    let message: Message;
    try {
      if (!(await this.sessions.findSessionByUserID(to))) {
        return failure(ErrorCode.UnknownRecipient);
      }
      message = {
        id: this.ids.messageID(),
        content,
        from,
        to,
        at: new Date(this.clock.now()).toISOString(),
      };
      await this.messages.saveMessage(message);
    } catch (error) {
      this.logger.error(
        `storing a message from ${from} failed: ${describeError(error)}`,
      );
      return failure(ErrorCode.Unavailable);
    }
    // One set of rooms: a message to self reaches each other tab once; the sending socket never.
    socket.to([to, from]).emit(ChatEvent.PrivateMessage, message);
    return { ok: true, message };
  }

  /**
   * A page of older messages of one of the caller's conversations: the one between `userID` (the
   * socket's own, never from the payload) and `payload.userID`, strictly before `payload.before`.
   * Any other pair's messages are out of reach by construction; an unknown peer is an empty page.
   * Never rejects.
   */
  async fetchMessages(
    userID: string,
    payload: unknown,
  ): Promise<FetchMessagesAck> {
    if (!this.rateLimiter.tryTake(fetchBucket(userID)))
      return failure(ErrorCode.RateLimited);
    const input = validateFetchMessages(payload);
    if (!input.ok) return failure(input.error);
    const { userID: peerID, before, limit } = input.value;
    try {
      const page = await this.messages.findMessagesBefore(
        userID,
        peerID,
        before,
        limit ?? Math.min(this.options.historyLimit, FETCH_MESSAGES_MAX),
      );
      return { ok: true, ...page };
    } catch (error) {
      this.logger.error(
        `fetching messages for ${userID} failed: ${describeError(error)}`,
      );
      return failure(ErrorCode.Unavailable);
    }
  }

  /**
   * Every known user as `userID` sees them, with the last `historyLimit` messages of that
   * conversation, oldest first, and `hasMoreMessages` when older ones exist.
   */
  async usersFor(userID: string): Promise<UserView[]> {
    const [sessions, conversations] = await Promise.all([
      this.sessions.findAllSessions(),
      this.messages.findRecentConversations(userID, this.options.historyLimit),
    ]);
    const byPeer = new Map(conversations.map((c) => [c.peerID, c]));
    return sessions.map((session) => {
      const conversation = byPeer.get(session.userID);
      return {
        userID: session.userID,
        username: session.username,
        connected: session.connected,
        messages: conversation?.messages ?? [],
        ...(conversation?.hasMore && { hasMoreMessages: true }),
      };
    });
  }
}
