/**
 * Every Redis key, stream and channel name of one deployment, in one place; each starts with
 * REDIS_PREFIX, so that several deployments (and parallel test runs) can share a server. The
 * layout is described in apps/api/README.md ("Redis").
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  // Sessions.
  /**
   * Hash: userID, username, connected (1/0), lastSeen (ms), directoryKey, and the user's settings
   * readReceipts and typing (1/0; absent: the default, 1).
   */
  session(sessionID: string): string {
    return `${this.prefix}session:${sessionID}`;
  }
  /** String: the sessionID of that user. */
  sessionOfUser(userID: string): string {
    return `${this.prefix}session-of:${userID}`;
  }
  /** Sorted set: every sessionID, scored by the order it was first saved. */
  get sessions(): string {
    return `${this.prefix}sessions`;
  }
  /** Sorted set: sessionIDs not connected, scored by lastSeen (what expires first). */
  get offlineSessions(): string {
    return `${this.prefix}sessions:offline`;
  }
  /** Sorted set, all scores 0, so ordered by member: every session's `directoryKey`. */
  get directory(): string {
    return `${this.prefix}sessions:directory`;
  }
  /** Counter behind the order of `sessions`. */
  get sessionSequence(): string {
    return `${this.prefix}sessions:seq`;
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
    return `${this.prefix}conversation:`;
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
    return `${this.prefix}received:${this.conversationTag(recipient, sender)}:${recipient}`;
  }
  /**
   * Hash: each reader's markers in that conversation, `delivered:<reader>`, `read:<reader>` and
   * `public:<reader>` (message ids).
   */
  markers(a: string, b: string): string {
    return `${this.prefix}markers:${this.conversationTag(a, b)}`;
  }
  /** String: 1 once `received` holds every message stored before it existed (built at start). */
  get receivedIndexVersion(): string {
    return `${this.prefix}messages:received-index`;
  }
  /** Set: the users that user has a conversation with. */
  peers(userID: string): string {
    return `${this.prefix}peers:${userID}`;
  }
  /** Sorted set holding one member: the greatest message id ever saved. */
  get latestMessageID(): string {
    return `${this.prefix}messages:latest`;
  }
  /**
   * String with a TTL (a day): the conversation member (`<id>\0<JSON>`) of the message that user
   * sent with that `clientMessageId`. Neither holds a ':' (url-safe characters only).
   */
  clientMessage(userID: string, clientMessageId: string): string {
    return `${this.prefix}client-message:${userID}:${clientMessageId}`;
  }

  // Presence.
  /** Set: the nodes that may have sockets counted (alive, or dead and not yet swept). */
  get presenceNodes(): string {
    return `${this.prefix}presence:nodes`;
  }
  /**
   * Hash: nodeID → the time (ms, Redis's clock) of that node's last heartbeat, kept until the
   * node is swept or has left: a dead node's users were last seen then.
   */
  get lastHeartbeats(): string {
    return `${this.prefix}presence:last-heartbeat`;
  }
  /** String with a TTL (PRESENCE_NODE_TIMEOUT): exists while that node is alive. */
  heartbeat(nodeID: string): string {
    return `${this.heartbeatPrefix}${nodeID}`;
  }
  get heartbeatPrefix(): string {
    return `${this.prefix}presence:heartbeat:`;
  }
  /** Set: the users with sockets counted on that node. */
  nodeUsers(nodeID: string): string {
    return `${this.prefix}presence:node-users:${nodeID}`;
  }
  /** Hash: nodeID → number of that user's sockets on that node. */
  presenceUser(userID: string): string {
    return `${this.presenceUserPrefix}${userID}`;
  }
  get presenceUserPrefix(): string {
    return `${this.prefix}presence:user:`;
  }
  /** Set: the users shown online (every transition in or out is made by one Lua script). */
  get online(): string {
    return `${this.prefix}presence:online`;
  }
  /**
   * Set: users that node took offline and has not yet confirmed announcing (`acknowledge`). If it
   * dies meanwhile, the node that sweeps it takes them over.
   */
  unannounced(nodeID: string): string {
    return `${this.prefix}presence:unannounced:${nodeID}`;
  }
  /** String with a TTL: the node sweeping that dead node. */
  sweepLock(nodeID: string): string {
    return `${this.prefix}presence:sweep-lock:${nodeID}`;
  }

  // Rate limits.
  /** Hash { tokens, at } with a TTL (until it would be full again): one token bucket. */
  rateLimit(bucket: string): string {
    return `${this.prefix}rate:${bucket}`;
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
