import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import {
  PresenceStore,
  type PresenceChanges,
  type PresenceSchedule,
  type SweptUsers,
} from '../presence.store';
import type { RedisKeys } from '../../../shared/redis/redis-keys';
import {
  definePresenceCommands,
  type PresenceCommands,
} from './presence-scripts';

/** Users of a dead node handled per script call, so no call blocks Redis for long. */
const SWEEP_CHUNK = 200;

export interface RedisPresenceOptions {
  /** A node without heartbeat for this long (ms) is dead: PRESENCE_NODE_TIMEOUT. */
  nodeTimeoutMs: number;
  /** This node's id; by default host, pid and a random part (unique per process start). */
  nodeID?: string;
}

/**
 * `STORE=redis` presence, shared by every node (see README, "Presence across nodes"):
 *
 * - per user, a hash nodeID → sockets on that node; per node, the set of its users;
 * - per node, a heartbeat key that expires after PRESENCE_NODE_TIMEOUT unless refreshed;
 * - the set of users shown online, which a user enters and leaves only inside a Lua script:
 *   whoever's script moves them is the one that announces it, so each change is told once.
 *
 * A socket on a node whose heartbeat has expired does not count. Sockets are counted here too
 * (the truth for this node): every write carries the node's current count, and `refresh` rewrites
 * them all when the node may have been swept by mistake (its heartbeat expired during a Redis
 * outage or a long pause) or a write failed.
 */
export class RedisPresenceStore extends PresenceStore {
  readonly nodeID: string;
  readonly schedule: PresenceSchedule;
  private readonly redis: Redis & PresenceCommands;
  /** This node's sockets per user: the truth, which Redis mirrors. */
  private readonly sockets = new Map<string, number>();
  /** A write failed, or the node must be registered: the next refresh rewrites everything. */
  private dirty = true;
  /**
   * Users whose change may have gone unannounced: a write failed without telling whether Redis
   * applied it (its reply lost), or a sweep failed halfway. The next refresh reports their state.
   */
  private readonly uncertain = new Set<string>();

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    options: RedisPresenceOptions,
  ) {
    super();
    this.nodeID =
      options.nodeID ??
      `${hostname()}:${process.pid}:${randomBytes(6).toString('base64url')}`;
    this.schedule = {
      nodeTimeoutMs: options.nodeTimeoutMs,
      refreshMs: Math.max(1, Math.floor(options.nodeTimeoutMs / 3)),
      sweepMs: Math.max(1, Math.floor(options.nodeTimeoutMs / 8)),
    };
    this.redis = definePresenceCommands(redis);
  }

  connect(userID: string): Promise<boolean> {
    const count = (this.sockets.get(userID) ?? 0) + 1;
    this.sockets.set(userID, count);
    return this.write(
      userID,
      this.redis.chatPresenceConnect(
        ...this.userKeys(userID),
        this.nodeID,
        userID,
        count,
      ),
    );
  }

  disconnect(userID: string): Promise<boolean> {
    const before = this.sockets.get(userID);
    if (before === undefined) return Promise.resolve(false);
    const count = before - 1;
    if (count > 0) this.sockets.set(userID, count);
    else this.sockets.delete(userID);
    return this.write(
      userID,
      this.redis.chatPresenceDisconnect(
        ...this.userKeys(userID),
        this.keys.unannounced(this.nodeID),
        this.nodeID,
        userID,
        count,
        this.keys.heartbeatPrefix,
      ),
    );
  }

  async onlineAmong(userIDs: readonly string[]): Promise<Set<string>> {
    if (userIDs.length === 0) return new Set();
    const flags = await this.redis.smismember(this.keys.online, ...userIDs);
    return new Set(userIDs.filter((_, i) => flags[i] === 1));
  }

  async refresh(): Promise<PresenceChanges> {
    const changes = await this.heartbeat();
    // Changes this node made but never confirmed announcing (the announcement failed): again.
    const owed = await this.redis.smembers(this.keys.unannounced(this.nodeID));
    for (const userID of owed) this.uncertain.add(userID);
    if (this.uncertain.size === 0) return changes;
    const reported = new Set([...changes.online, ...changes.offline]);
    const users = [...this.uncertain].filter((userID) => !reported.has(userID));
    this.uncertain.clear();
    try {
      const online = await this.onlineAmong(users);
      for (const userID of users)
        (online.has(userID) ? changes.online : changes.offline).push(userID);
    } catch (error) {
      // The changes found so far must not be lost either: all are reported next time.
      for (const userID of [...users, ...reported]) this.uncertain.add(userID);
      throw error;
    }
    return changes;
  }

  /** Says this node is alive; rewrites its sockets if they may be missing or wrong. */
  private async heartbeat(): Promise<PresenceChanges> {
    const { keys, nodeID } = this;
    const ttl = this.schedule.nodeTimeoutMs;
    if (!this.dirty) {
      const alive = await this.redis.chatPresenceHeartbeat(
        keys.heartbeat(nodeID),
        keys.presenceNodes,
        keys.lastHeartbeats,
        nodeID,
        ttl,
      );
      if (alive === 1) return { online: [], offline: [] };
    }
    // Taken now, sent now: later writes of this node reach Redis after this one.
    this.dirty = false;
    const counts = [...this.sockets].flatMap(([userID, count]) => [
      userID,
      count,
    ]);
    try {
      const [online, offline] = await this.redis.chatPresenceResync(
        keys.heartbeat(nodeID),
        keys.presenceNodes,
        keys.nodeUsers(nodeID),
        keys.online,
        keys.unannounced(nodeID),
        keys.lastHeartbeats,
        nodeID,
        ttl,
        keys.presenceUserPrefix,
        keys.heartbeatPrefix,
        ...counts,
      );
      return { online, offline };
    } catch (error) {
      this.dirty = true;
      // Applied or not (a lost reply), its news may be lost: this node's users are told again.
      for (const userID of this.sockets.keys()) this.uncertain.add(userID);
      throw error;
    }
  }

  async sweep(): Promise<SweptUsers> {
    const { keys } = this;
    const nodes = (await this.redis.smembers(keys.presenceNodes)).filter(
      (node) => node !== this.nodeID,
    );
    const lastSeen = new Map<string, number>();
    if (nodes.length === 0) return { offline: [], lastSeen };
    const pipeline = this.redis.pipeline();
    for (const node of nodes) pipeline.exists(keys.heartbeat(node));
    const alive = (await pipeline.exec()) ?? [];
    const dead = nodes.filter((_, i) => alive[i]?.[1] === 0);
    const offline: string[] = [];
    const owed: string[] = [];
    try {
      for (const node of dead)
        await this.sweepNode(node, offline, owed, lastSeen);
      if (owed.length > 0) {
        // Taken offline by the dead node, never announced. Still offline: ours to announce; back
        // online meanwhile: others never heard they left, nothing to tell.
        const online = await this.onlineAmong(owed);
        offline.push(...owed.filter((userID) => !online.has(userID)));
        await this.acknowledge([...online]);
      }
    } catch (error) {
      // Those users are offline already (or may be): the next refresh reports them.
      for (const userID of [...offline, ...owed]) this.uncertain.add(userID);
      throw error;
    }
    return { offline, lastSeen };
  }

  async leave(): Promise<string[]> {
    const { keys, nodeID } = this;
    this.sockets.clear();
    this.dirty = true;
    return this.redis.chatPresenceLeave(
      keys.heartbeat(nodeID),
      keys.nodeUsers(nodeID),
      keys.online,
      keys.presenceNodes,
      keys.unannounced(nodeID),
      keys.lastHeartbeats,
      nodeID,
      keys.presenceUserPrefix,
      keys.heartbeatPrefix,
    );
  }

  async acknowledge(userIDs: readonly string[]): Promise<void> {
    if (userIDs.length === 0) return;
    const { keys, nodeID } = this;
    await this.redis.chatPresenceAcknowledge(
      keys.unannounced(nodeID),
      keys.heartbeat(nodeID),
      keys.nodeUsers(nodeID),
      keys.presenceNodes,
      keys.lastHeartbeats,
      nodeID,
      ...userIDs,
    );
  }

  /**
   * Sweeps one dead node, unless another node already is (a lock that expires on its own); adds
   * the users it leaves offline to `offline`, and those the dead node owed announcing to `owed`;
   * both were last seen at its last heartbeat, if known (`lastSeen`).
   */
  private async sweepNode(
    node: string,
    offline: string[],
    owed: string[],
    lastSeen: Map<string, number>,
  ): Promise<void> {
    const { keys } = this;
    const lock = keys.sweepLock(node);
    const taken = await this.redis.set(
      lock,
      this.nodeID,
      'PX',
      this.schedule.nodeTimeoutMs,
      'NX',
    );
    if (taken !== 'OK') return;
    try {
      for (;;) {
        const [left, gone, unannounced, seen] =
          await this.redis.chatPresenceSweep(
            keys.heartbeat(node),
            keys.nodeUsers(node),
            keys.online,
            keys.presenceNodes,
            keys.unannounced(node),
            keys.unannounced(this.nodeID),
            keys.lastHeartbeats,
            node,
            keys.presenceUserPrefix,
            keys.heartbeatPrefix,
            SWEEP_CHUNK,
          );
        offline.push(...gone);
        owed.push(...unannounced);
        if (seen !== '')
          for (const userID of [...gone, ...unannounced])
            lastSeen.set(userID, Number(seen));
        if (left <= 0) return;
      }
    } finally {
      await this.redis.chatReleaseLock(lock, this.nodeID).catch(() => 0);
    }
  }

  private userKeys(userID: string): [string, string, string, string] {
    const { keys } = this;
    return [
      keys.presenceUser(userID),
      keys.nodeUsers(this.nodeID),
      keys.online,
      keys.presenceNodes,
    ];
  }

  /**
   * A failed write leaves Redis behind this node's counts: the next refresh rewrites them, and
   * reports the user's state, which may have changed without anyone announcing it.
   */
  private async write(
    userID: string,
    reply: Promise<number>,
  ): Promise<boolean> {
    try {
      return (await reply) === 1;
    } catch (error) {
      this.dirty = true;
      this.uncertain.add(userID);
      throw error;
    }
  }
}
