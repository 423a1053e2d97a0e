import { Injectable, Logger } from '@nestjs/common';
import {
  ChatEvent,
  DIRECTORY_PAGE_SIZE,
  ErrorCode,
  FETCH_MESSAGES_MAX,
  parseDirectoryMode,
  parseSessionId,
  validateFetchMessages,
  validateFetchUsers,
  validatePrivateMessage,
  validateUsername,
  type FetchMessagesAck,
  type FetchUsersAck,
  type Message,
  type PrivateMessageAck,
  type ServerToClientEvents,
  type SocketData,
  type UserView,
} from '@chat/contracts';
import { DEFAULT_HISTORY_LIMIT } from '../config/app-config';
import { Metrics } from '../metrics/metrics';
import {
  EVERYONE_ROOM,
  presenceRooms,
  watchRoom,
  type ChatServer,
  type ChatSocket,
} from './chat.types';
import { Clock } from './clock';
import { IdGenerator } from './ids';
import { isoTime } from './iso-time';
import { KeyedQueue } from './keyed-queue';
import { RateLimits, type RateLimiter } from './rate-limiter';
import { MessageStore, type RecentConversation } from './stores/message.store';
import { PresenceStore } from './stores/presence.store';
import {
  nameKey,
  SessionStore,
  type StoredSession,
} from './stores/session.store';

export type HandshakeResult =
  | { ok: true; data: SocketData; resumed: boolean }
  /** `error`: the `connect_error` message, when it is not the guide's `invalid username`. */
  | { ok: false; reason: string; error?: ErrorCode };

const failure = (error: ErrorCode): { ok: false; error: ErrorCode } => ({
  ok: false,
  error,
});

/** The chat's settings from config. */
export class ChatOptions {
  /** Messages per conversation in `users`; the default page of `fetch messages` (up to its max). */
  historyLimit = DEFAULT_HISTORY_LIMIT;
  /** The client address is the last X-Forwarded-For entry (TRUST_PROXY), not the peer's. */
  trustProxy = false;

  constructor(options: Partial<ChatOptions> = {}) {
    Object.assign(this, options);
  }
}

// Fetching history has its own token bucket (same rate as messages), so reading back through a
// long conversation never costs the right to send. UserIDs have no ':'.
const fetchBucket = (userID: string) => `fetch:${userID}`;
/** The rate-limit bucket of the new sessions started from one client address (or IPv6 /64). */
const newSessionBucket = (address: string) => `new-session:${address}`;
/** The `connect_error` reason of a sessionID that resumes nothing, sent without a username. */
export const UNKNOWN_SESSION =
  'unknown or expired session: send a username to start a new one';
/** The `connect_error` reason of a handshake over the new-session limit. */
export const TOO_MANY_NEW_SESSIONS =
  'too many new sessions from this address, try again in a minute';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const describeError = (error: unknown): string =>
  error instanceof Error ? (error.stack ?? error.message) : String(error);

/**
 * A user as `users`, `user connected` and `fetch users` show them: presence from the presence
 * store (live, on every node), and that conversation's recent messages if the reader has one.
 */
const toUserView = (
  session: StoredSession,
  online: ReadonlySet<string>,
  conversation?: RecentConversation,
): UserView => ({
  userID: session.userID,
  username: session.username,
  connected: online.has(session.userID),
  messages: conversation?.messages ?? [],
  ...(conversation?.hasMore && { hasMoreMessages: true }),
});

/** socket.io-parser's EVENT packet type (see `broadcastToOthers`). */
const EVENT_PACKET = 2;

/**
 * How many times in a row an announcement of presence may be corrected (see `announce`) before
 * giving up; each round needs a user to come or go again meanwhile, on another node.
 */
const MAX_ANNOUNCE_ROUNDS = 5;

/**
 * How long an announcement waits for the adapter to send it on. While Redis is away the adapter
 * holds it until Redis is back (in order); the chat does not wait that long.
 */
const BROADCAST_WAIT_MS = 2000;

/** Users announced at once by `announcePresence`. */
const ANNOUNCE_BATCH = 50;

/** The chat's rules: sessions, presence, routing and history. Transport-free except for sockets. */
@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);
  // Serialises each user's connects and disconnects on this node so presence never ends up stale.
  private readonly queue = new KeyedQueue();
  /** Sockets counted in the presence store, until their disconnect uncounts them. */
  private readonly counted = new WeakSet<ChatSocket>();
  /** Connection, disconnection and announcement sequences still running (see `drain`). */
  private readonly running = new Set<Promise<unknown>>();
  private server: ChatServer | undefined;

  constructor(
    private readonly sessions: SessionStore,
    private readonly messages: MessageStore,
    private readonly ids: IdGenerator,
    private readonly limits: RateLimits,
    private readonly clock: Clock,
    private readonly options: ChatOptions,
    private readonly presence: PresenceStore,
    private readonly metrics: Metrics = new Metrics(),
  ) {}

  /** The socket.io server, once the gateway has it: announcements without a socket go through it. */
  attach(server: ChatServer): void {
    this.server = server;
  }

  /** Resolves once every sequence started so far (and any they started) has finished. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /**
   * Decides the identity of a connecting socket from its handshake `auth`, which may be anything,
   * and its client `address` (whose budget of new sessions a new user spends). Writes nothing else:
   * a refused handshake leaves no trace, and an accepted one is stored on connection. Rejects only
   * if the session store fails (a rate limit that cannot be read refuses with `unavailable`).
   */
  async authenticate(auth: unknown, address: string): Promise<HandshakeResult> {
    const fields = isRecord(auth) ? auth : {};
    const directory = parseDirectoryMode(fields['directory']);
    const sessionID = parseSessionId(fields['sessionID']);
    if (sessionID !== undefined) {
      const session = await this.sessions.findSession(sessionID);
      if (session) {
        const { userID, username } = session;
        return {
          ok: true,
          resumed: true,
          data: { sessionID, userID, username, directory },
        };
      }
    }
    // No usable session: an unknown or expired sessionID with a valid username starts afresh.
    const username = validateUsername(fields['username']);
    if (!username.ok)
      return {
        ok: false,
        // A sessionID alone that resumes nothing: say so, not that a username is missing.
        reason:
          fields['sessionID'] !== undefined && fields['username'] === undefined
            ? UNKNOWN_SESSION
            : username.error,
      };
    // A new user each time: bounded per address, or one client could fill the directory.
    const refused = await this.spend(
      this.limits.newSessions,
      newSessionBucket(address),
    );
    if (refused)
      return {
        ok: false,
        error: refused,
        reason:
          refused === ErrorCode.RateLimited
            ? TOO_MANY_NEW_SESSIONS
            : 'store unavailable',
      };
    return {
      ok: true,
      resumed: false,
      data: {
        sessionID: this.ids.sessionID(),
        userID: this.ids.userID(),
        username: username.value,
        directory,
      },
    };
  }

  /** The protocol's on-connection sequence. Never rejects: a failure is logged and the socket dropped. */
  onConnection(socket: ChatSocket): Promise<void> {
    return this.track(this.connect(socket));
  }

  /**
   * Announces the user offline once their last socket on any node is gone (the presence store
   * tells, across nodes). Never rejects.
   */
  onDisconnect(socket: ChatSocket, reason?: string): Promise<void> {
    return this.track(this.disconnect(socket, reason));
  }

  /**
   * Announces users whose sockets were found gone, or back, without a socket event here: users
   * of a node that died, or whose state was uncertain after a Redis failure. Never rejects.
   */
  announcePresence(
    online: readonly string[],
    offline: readonly string[],
  ): Promise<void> {
    const all = [
      ...online.map((userID) => [userID, true] as const),
      ...offline.map((userID) => [userID, false] as const),
    ];
    return this.track(
      (async () => {
        // A dead node may leave thousands: a few at a time, not all their Redis calls at once.
        for (let start = 0; start < all.length; start += ANNOUNCE_BATCH)
          await Promise.all(
            all
              .slice(start, start + ANNOUNCE_BATCH)
              .map(([userID, isOnline]) =>
                this.announceKnown(userID, isOnline),
              ),
          );
      })(),
    );
  }

  private async connect(socket: ChatSocket): Promise<void> {
    const { sessionID, userID, username, directory } = socket.data;
    try {
      await this.queue.run(userID, async () => {
        // Counted from now on, even if the store fails below: the disconnect uncounts it.
        this.counted.add(socket);
        await this.presence.connect(userID);
        await this.sessions.saveSession({
          sessionID,
          userID,
          username,
          connected: true,
          lastSeen: this.clock.now(),
        });
        if (socket.disconnected) return; // its disconnect is queued behind us and will clean up
        socket.emit(ChatEvent.Session, { sessionID, userID, username });
        await socket.join(
          directory === 'paged' ? userID : [userID, EVERYONE_ROOM],
        );
        // Read history only after joining: a message stored earlier is in it, a later one arrives live.
        const users =
          directory === 'paged'
            ? await this.ownUsersFor(socket)
            : await this.usersFor(userID);
        if (socket.disconnected) return;
        socket.emit(ChatEvent.Users, users);
        socket.to(presenceRooms(userID)).emit(ChatEvent.UserConnected, {
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

  private async disconnect(socket: ChatSocket, reason?: string) {
    const { sessionID, userID, username } = socket.data;
    if (!userID) return; // refused at the handshake: never was anyone
    this.logger.debug(
      `socket ${socket.id} of user ${userID} disconnected (${reason})`,
    );
    try {
      await this.queue.run(userID, async () => {
        if (!this.counted.delete(socket)) return;
        if (!(await this.presence.disconnect(userID))) return;
        await this.announce({ sessionID, userID, username }, false);
        await this.acknowledge(userID);
      });
    } catch (error) {
      this.logger.error(
        `disconnection of user ${userID} failed: ${describeError(error)}`,
      );
    }
  }

  /**
   * Tells every socket that hears about the user's presence that the user is gone for good (their
   * session expired and was deleted, SessionPruner), so that open clients drop them from their
   * lists. Never rejects: a client that misses it finds the user gone from its next `users`.
   */
  async announceForgotten(userID: string): Promise<void> {
    try {
      await this.broadcastToOthers(userID, ChatEvent.UserForgotten, { userID });
      // Nothing will be said of this user again: their watchers leave the room, on every node.
      this.server?.in(watchRoom(userID)).socketsLeave(watchRoom(userID));
    } catch (error) {
      this.logger.warn(
        `announcing forgotten user ${userID} failed: ${describeError(error)}`,
      );
    }
  }

  /** `announce` for a user known only by id: the rest comes from their session. */
  private async announceKnown(userID: string, online: boolean): Promise<void> {
    try {
      await this.queue.run(userID, async () => {
        const session = await this.sessions.findSessionByUserID(userID);
        if (session) {
          const { sessionID, username } = session;
          await this.announce({ sessionID, userID, username }, online);
        } else if (!online) {
          // Forgotten meanwhile: nothing to store, but others may still show them online.
          await this.broadcastToOthers(
            userID,
            ChatEvent.UserDisconnected,
            userID,
          );
        }
        await this.acknowledge(userID);
      });
    } catch (error) {
      this.logger.error(
        `announcing user ${userID} ${online ? 'online' : 'offline'} failed: ${describeError(error)}`,
      );
    }
  }

  /** Tells the presence store the user's change is announced; if it cannot, it is told again later. */
  private async acknowledge(userID: string): Promise<void> {
    try {
      await this.presence.acknowledge([userID]);
    } catch (error) {
      this.logger.warn(
        `presence of user ${userID} announced, but not acknowledged (it will be again): ${describeError(error)}`,
      );
    }
  }

  /**
   * Tells every other socket, on every node, that the user went offline (or is online), and
   * stores it in the session (from then on, if offline, its inactivity counts towards
   * SESSION_TTL). Then asks the presence store again: on another node the user may have come back
   * (or left) meanwhile, and that node's announcement may have reached the others before this one.
   * Until the state read after an announcement is the state announced, it announces again, so the
   * last word everyone hears about a user is always the true one.
   */
  private async announce(
    user: Omit<SocketData, 'directory'>,
    online: boolean,
  ): Promise<void> {
    const { sessionID, userID, username } = user;
    let state = online;
    for (let round = 0; round < MAX_ANNOUNCE_ROUNDS; round++) {
      if (state)
        await this.broadcastToOthers(userID, ChatEvent.UserConnected, {
          userID,
          username,
          connected: true,
          messages: [],
        });
      else
        await this.broadcastToOthers(
          userID,
          ChatEvent.UserDisconnected,
          userID,
        );
      await this.sessions.saveSession({
        sessionID,
        userID,
        username,
        connected: state,
        lastSeen: this.clock.now(),
      });
      const now = await this.presence.isOnline(userID);
      if (now === state) return;
      state = now;
    }
    this.logger.warn(
      `presence of user ${userID} kept changing while it was announced`,
    );
  }

  /**
   * Emits to every socket, on every node, that hears about this user (`EVERYONE_ROOM` and the
   * user's `watchRoom`), but the user's own, and resolves once the socket.io
   * adapter has sent it on (the Redis adapter: appended to its stream). `server.emit` would not
   * say when; `announce` needs it, to read presence only after its message is on its way. This is
   * what `server.to(presenceRooms(userID)).except(userID).emit(event, payload)` does.
   */
  private async broadcastToOthers<E extends keyof ServerToClientEvents>(
    userID: string,
    event: E,
    payload: Parameters<ServerToClientEvents[E]>[0],
  ): Promise<void> {
    const server = this.server;
    if (!server) throw new Error('no socket.io server attached');
    // Typed void, but cluster adapters return the promise of their publication.
    const sent: unknown = server.sockets.adapter.broadcast(
      { type: EVENT_PACKET, data: [event, payload], nsp: server.sockets.name },
      {
        rooms: new Set(presenceRooms(userID)),
        except: new Set([userID]),
        flags: {},
      },
    );
    if (typeof (sent as PromiseLike<void> | undefined)?.then !== 'function')
      return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      sent as PromiseLike<void>,
      new Promise((resolve) => {
        timer = setTimeout(resolve, BROADCAST_WAIT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /**
   * Takes a token from `bucket`: the error to answer with if there is none, or if the buckets
   * cannot be reached (Redis away: nothing could be stored or read either).
   */
  private async spend(
    limiter: RateLimiter,
    bucket: string,
  ): Promise<ErrorCode | undefined> {
    try {
      if (await limiter.take(bucket)) return undefined;
      return ErrorCode.RateLimited;
    } catch (error) {
      this.logger.error(
        `reading the rate limit of ${bucket} failed: ${describeError(error)}`,
      );
      return ErrorCode.Unavailable;
    }
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const done = () => this.running.delete(work);
    work.then(done, done);
    return work;
  }

  /**
   * Validates, stores, then routes one message to every socket of the recipient and the sender's
   * other sockets. Never rejects: every failure is an error code, and nothing is emitted unless stored.
   * A repeat (the sender already stored a message with this `clientMessageId`) is acknowledged with
   * the message stored first, whatever its own content and recipient, and emitted to nobody again.
   * A message sent with a `clientMessageId` carries it wherever it goes (ack, event, history).
   */
  async sendPrivateMessage(
    socket: ChatSocket,
    payload: unknown,
  ): Promise<PrivateMessageAck> {
    const from = socket.data.userID;
    // Counted before validation, so floods of garbage are bounded too.
    const refused = await this.spend(this.limits.messages, from);
    if (refused) return failure(refused);
    const input = validatePrivateMessage(payload);
    if (!input.ok) return failure(input.error);
    const { content, to, clientMessageId } = input.value;

    let message: Message;
    try {
      if (!(await this.sessions.hasUser(to))) {
        return failure(ErrorCode.UnknownRecipient);
      }
      message = {
        id: this.ids.messageID(),
        content,
        from,
        to,
        at: isoTime(this.clock.now()),
      };
      // Only when given: a message sent without one has no such key at all (the guide's payload).
      if (clientMessageId !== undefined)
        message.clientMessageId = clientMessageId;
      const stored = await this.metrics.timeMessageSave(
        message,
        this.messages.saveMessage(message),
      );
      // A repeat: its first send was emitted already (or is being, if it is still in flight).
      if (stored.id !== message.id) return { ok: true, message: stored };
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
    const refused = await this.spend(this.limits.messages, fetchBucket(userID));
    if (refused) return failure(refused);
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
   * A page of the directory (`{ query?, after?, limit? }`) or the users asked for by id
   * (`{ userIDs }`), with their presence; from then on the socket hears about them (their watch
   * rooms), and about everyone if the whole directory fit in its first page. Never rejects.
   */
  async fetchUsers(
    socket: ChatSocket,
    payload: unknown,
  ): Promise<FetchUsersAck> {
    const refused = await this.spend(
      this.limits.messages,
      fetchBucket(socket.data.userID),
    );
    if (refused) return failure(refused);
    const input = validateFetchUsers(payload);
    if (!input.ok) return failure(input.error);
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
      await socket.join(everyone ? [...rooms, EVERYONE_ROOM] : rooms);
      const online = await this.presence.onlineAmong(
        sessions.map((session) => session.userID),
      );
      return {
        ok: true,
        users: sessions.map((session) => toUserView(session, online)),
        ...(next !== undefined && { next }),
      };
    } catch (error) {
      this.logger.error(
        `fetching users for ${socket.data.userID} failed: ${describeError(error)}`,
      );
      return failure(ErrorCode.Unavailable);
    }
  }

  /**
   * `users` for a socket of the paged directory: the user and the users they have conversations
   * with (the rest of the directory comes with `fetch users`). The socket joins those users'
   * watch rooms before their presence is read, so a later change reaches it as an event.
   */
  private async ownUsersFor(socket: ChatSocket): Promise<UserView[]> {
    const { userID } = socket.data;
    const conversations = await this.messages.findRecentConversations(
      userID,
      this.options.historyLimit,
    );
    const byPeer = new Map(conversations.map((c) => [c.peerID, c]));
    const others = [...byPeer.keys()].filter((id) => id !== userID);
    await socket.join(others.map(watchRoom));
    const peers = [userID, ...others]; // yourself first, as the guide lists
    const [sessions, online] = await Promise.all([
      Promise.all(peers.map((id) => this.sessions.findSessionByUserID(id))),
      this.presence.onlineAmong(peers),
    ]);
    return sessions
      .filter((session) => session !== undefined)
      .map((session) =>
        toUserView(session, online, byPeer.get(session.userID)),
      );
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
    // Live presence, on every node: the stored flag only matters for expiry.
    const online = await this.presence.onlineAmong(
      sessions.map((session) => session.userID),
    );
    return sessions.map((session) =>
      toUserView(session, online, byPeer.get(session.userID)),
    );
  }
}
