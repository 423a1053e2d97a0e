/** The groups of keys that scripts and transactions combine: on Redis Cluster, one hash slot each. */
export type KeyGroup = 'sessions' | 'messages' | 'presence' | 'rate';

/**
 * Every Redis key and channel name of one deployment, in one place; each starts with REDIS_PREFIX,
 * so that several deployments (and parallel test runs) can share a server. The layout is described
 * in apps/api/README.md ("Redis").
 *
 * On Redis Cluster (`cluster`), every key of a group also carries the group's hash tag right after
 * the prefix (`<prefix>{messages}:conversation:…`), so that the keys of every script and
 * transaction share a hash slot (the conversation tags further on are then only part of the
 * name). On a single Redis the names stay as they always were, so existing data is kept.
 */
export class RedisKeys {
  private readonly groups: Record<KeyGroup, string>;

  constructor(
    readonly prefix: string,
    readonly cluster = false,
  ) {
    const group = (name: KeyGroup) =>
      cluster ? `${prefix}{${name}}:` : prefix;
    this.groups = {
      sessions: group('sessions'),
      messages: group('messages'),
      presence: group('presence'),
      rate: group('rate'),
    };
  }

  // Sessions.
  /**
   * Hash: userID, username, connected (1/0), lastSeen (ms), directoryKey, and the user's settings
   * readReceipts and typing (1/0; absent: the default, 1).
   */
  session(sessionID: string): string {
    return `${this.groups.sessions}session:${sessionID}`;
  }
  /** String: the sessionID of that user. */
  sessionOfUser(userID: string): string {
    return `${this.groups.sessions}session-of:${userID}`;
  }
  /** Sorted set: every sessionID, scored by the order it was first saved. */
  get sessions(): string {
    return `${this.groups.sessions}sessions`;
  }
  /** Sorted set: sessionIDs not connected, scored by lastSeen (what expires first). */
  get offlineSessions(): string {
    return `${this.groups.sessions}sessions:offline`;
  }
  /** Sorted set, all scores 0, so ordered by member: every session's `directoryKey`. */
  get directory(): string {
    return `${this.groups.sessions}sessions:directory`;
  }
  /** Counter behind the order of `sessions`. */
  get sessionSequence(): string {
    return `${this.groups.sessions}sessions:seq`;
  }

  // Messages.
  /**
   * Sorted set, all scores 0, so ordered by member: `<id>\0<message as JSON>`, i.e. by id. One per
   * pair of users, whichever direction; the length of the smaller id keeps the name unambiguous.
   */
  conversation(a: string, b: string): string {
    const [low, high] = a < b ? [a, b] : [b, a];
    return `${this.conversationPrefix}${low.length}:${low}:${high}`;
  }
  get conversationPrefix(): string {
    return `${this.groups.messages}conversation:`;
  }
  /**
   * The hash tag of one conversation, `{<len>:<low>:<high>}` (the two userIDs in order): every
   * key kept per conversation beyond its messages carries it, so that the keys one script
   * touches for a conversation share a hash slot (Redis Cluster).
   */
  conversationTag(a: string, b: string): string {
    const [low, high] = a < b ? [a, b] : [b, a];
    return `{${low.length}:${low}:${high}}`;
  }
  /**
   * Sorted set, all scores 0: the ids of the messages `recipient` received from `sender`. Written
   * with each message by the message store's save script; what conversation state checks
   * receipts against and counts unread messages in (ZLEXCOUNT after the read marker).
   */
  received(recipient: string, sender: string): string {
    return `${this.groups.messages}received:${this.conversationTag(recipient, sender)}:${recipient}`;
  }
  /**
   * Hash: each reader's markers in that conversation, `delivered:<reader>`, `read:<reader>` and
   * `public:<reader>` (message ids).
   */
  markers(a: string, b: string): string {
    return `${this.groups.messages}markers:${this.conversationTag(a, b)}`;
  }
  /** String: 1 once `received` holds every message stored before it existed (built at start). */
  get receivedIndexVersion(): string {
    return `${this.groups.messages}messages:received-index`;
  }
  /** Set: the users that user has a conversation with. */
  peers(userID: string): string {
    return `${this.groups.messages}peers:${userID}`;
  }
  /** Sorted set holding one member: the greatest message id ever saved. */
  get latestMessageID(): string {
    return `${this.groups.messages}messages:latest`;
  }
  /**
   * String with a TTL (a day): the conversation member (`<id>\0<JSON>`) of the message that user
   * sent with that `clientMessageId`. Neither holds a ':' (url-safe characters only).
   */
  clientMessage(userID: string, clientMessageId: string): string {
    return `${this.groups.messages}client-message:${userID}:${clientMessageId}`;
  }

  // Presence.
  /** Set: the nodes that may have sockets counted (alive, or dead and not yet swept). */
  get presenceNodes(): string {
    return `${this.groups.presence}presence:nodes`;
  }
  /**
   * Hash: nodeID → the time (ms, Redis's clock) of that node's last heartbeat, kept until the
   * node is swept or has left: a dead node's users were last seen then.
   */
  get lastHeartbeats(): string {
    return `${this.groups.presence}presence:last-heartbeat`;
  }
  /** String with a TTL (PRESENCE_NODE_TIMEOUT): exists while that node is alive. */
  heartbeat(nodeID: string): string {
    return `${this.heartbeatPrefix}${nodeID}`;
  }
  get heartbeatPrefix(): string {
    return `${this.groups.presence}presence:heartbeat:`;
  }
  /** Set: the users with sockets counted on that node. */
  nodeUsers(nodeID: string): string {
    return `${this.groups.presence}presence:node-users:${nodeID}`;
  }
  /** Hash: nodeID → number of that user's sockets on that node. */
  presenceUser(userID: string): string {
    return `${this.presenceUserPrefix}${userID}`;
  }
  get presenceUserPrefix(): string {
    return `${this.groups.presence}presence:user:`;
  }
  /** Set: the users shown online (every transition in or out is made by one Lua script). */
  get online(): string {
    return `${this.groups.presence}presence:online`;
  }
  /**
   * Set: users that node took offline and has not yet confirmed announcing (`acknowledge`). If it
   * dies meanwhile, the node that sweeps it takes them over.
   */
  unannounced(nodeID: string): string {
    return `${this.groups.presence}presence:unannounced:${nodeID}`;
  }
  /** String with a TTL: the node sweeping that dead node. */
  sweepLock(nodeID: string): string {
    return `${this.groups.presence}presence:sweep-lock:${nodeID}`;
  }

  // Rate limits.
  /** Hash { tokens, at } with a TTL (until it would be full again): one token bucket. */
  rateLimit(bucket: string): string {
    return `${this.groups.rate}rate:${bucket}`;
  }

  // The socket.io adapter (@socket.io/redis-adapter, sharded).
  /**
   * Start of the adapter's sharded pub/sub channels (not keys): `<this>#/#` for the namespace,
   * `<this>#/#<room>#` per room, `<this>#/#<node uid>#` for replies.
   */
  get adapterChannelPrefix(): string {
    return `${this.prefix}socket.io`;
  }
}
