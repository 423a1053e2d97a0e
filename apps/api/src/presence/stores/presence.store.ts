/** Users whose presence changed as a side effect of upkeep (heartbeat, sweep). */
export interface PresenceChanges {
  /** Users that have a socket on a live node again, after having been shown offline. */
  online: string[];
  /** Users left with no socket on any live node. */
  offline: string[];
}

/** Users a sweep found gone with the dead nodes they were on. */
export interface SweptUsers {
  /** Users left with no socket on any live node. */
  offline: string[];
  /** When some of them were last seen (ms since the epoch): their dead node's last heartbeat. */
  lastSeen: Map<string, number>;
}

/** When the upkeep of a shared presence store must run (PresenceKeeper runs it). */
export interface PresenceSchedule {
  /** How often this node says it is alive (`refresh`). */
  refreshMs: number;
  /** How often this node looks for dead nodes (`sweep`). */
  sweepMs: number;
  /** How long without a heartbeat before a node counts as dead. */
  nodeTimeoutMs: number;
}

/**
 * Who is online: how many sockets each user has open, on this node and (shared implementations)
 * on every other live node. A user is online while they have at least one socket on a live node.
 * Abstract class: it is also the DI token.
 *
 * Every transition is reported exactly once across all nodes: exactly one `connect` per
 * offline → online change resolves true, exactly one `disconnect`, `sweep`, `refresh` or `leave`
 * per online → offline change reports the user. Each instance is one node; it counts its own
 * sockets itself (synchronously, when `connect` and `disconnect` are called), so a failed write to
 * a shared store can be repaired by `refresh`.
 */
export abstract class PresenceStore {
  /**
   * One more socket of `userID` on this node. Resolves true if the user had no socket on any live
   * node before (they came online). The socket is counted here even if the promise rejects.
   */
  abstract connect(userID: string): Promise<boolean>;

  /**
   * One socket of `userID` on this node fewer. Resolves true if it was the user's last socket on
   * any live node (they went offline).
   */
  abstract disconnect(userID: string): Promise<boolean>;

  /** The users among `userIDs` that are online. */
  abstract onlineAmong(userIDs: readonly string[]): Promise<Set<string>>;

  /** Whether `userID` is online. */
  async isOnline(userID: string): Promise<boolean> {
    return (await this.onlineAmong([userID])).has(userID);
  }

  /**
   * Keeps this node alive (its heartbeat) and, if its sockets were lost from the shared state
   * (heartbeat expired, or a write failed), writes them again.
   */
  abstract refresh(): Promise<PresenceChanges>;

  /**
   * Forgets the sockets of nodes that stopped sending heartbeats (died without saying so).
   * Resolves with the users this left offline, and when they were last seen where known.
   */
  abstract sweep(): Promise<SweptUsers>;

  /** This node stops: forgets every socket it counted. Resolves with the users left offline. */
  abstract leave(): Promise<string[]>;

  /**
   * The changes of these users reported by this node have been announced. Until then a shared
   * store keeps them, so that they are reported again (by `refresh`, here or, if this node dies
   * first, on the node that sweeps it): a node killed between taking a user offline and telling
   * the others leaves no one shown online for good.
   */
  abstract acknowledge(userIDs: readonly string[]): Promise<void>;

  /** When `refresh` and `sweep` must run; undefined if never (a store of one process). */
  abstract readonly schedule: PresenceSchedule | undefined;
}
