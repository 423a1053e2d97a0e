import { Injectable, Logger } from '@nestjs/common';
import { ChatEvent, type SocketData, type UserView } from '@chat/contracts';
import { Broadcaster, type Delivery } from '../shared/broadcaster';
import { Clock } from '../shared/clock';
import { describeError } from '../shared/describe-error';
import { KeyedQueue } from '../shared/keyed-queue';
import { SessionStore } from '../sessions/stores/session.store';
import { presenceRooms, watchRoom } from './presence-rooms';
import { PresenceStore } from './stores/presence.store';

/** Who a presence announcement is about. */
export type PresenceUser = Omit<SocketData, 'directory'>;

/**
 * How many times in a row an announcement of presence may be corrected (see `announce`) before
 * giving up; each round needs a user to come or go again meanwhile, on another node.
 */
const MAX_ANNOUNCE_ROUNDS = 5;

/** Users announced at once by `announcePresence`. */
const ANNOUNCE_BATCH = 50;

/**
 * Who is online, across nodes, and telling everyone who hears about a user when that changes.
 * The presence store counts sockets; this decides what to announce, and stores it in the session
 * (an offline user's inactivity counts towards SESSION_TTL).
 *
 * One user's connects, disconnects and announcements on this node run one at a time (`inTurn`),
 * so presence never ends up stale; `drain` waits for every one started.
 */
@Injectable()
export class PresenceService {
  private readonly logger = new Logger('Presence');
  // Serialises each user's connects and disconnects on this node so presence never ends up stale.
  private readonly queue = new KeyedQueue();
  /** Connections counted in the presence store, until their disconnect uncounts them. */
  private readonly counted = new WeakSet<object>();
  /** Connection, disconnection and announcement sequences still running (see `drain`). */
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly presence: PresenceStore,
    private readonly sessions: SessionStore,
    private readonly broadcaster: Broadcaster,
    private readonly clock: Clock,
  ) {}

  /** Runs `task` once every earlier task of `userID` on this node is done (connects, disconnects, announcements). */
  inTurn<T>(userID: string, task: () => Promise<T>): Promise<T> {
    return this.queue.run(userID, task);
  }

  /** Keeps `work` among what `drain` waits for. */
  track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const done = () => this.running.delete(work);
    work.then(done, done);
    return work;
  }

  /** Resolves once every sequence tracked so far (and any they started) has finished. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /**
   * One more connection (`connection`: any object standing for it) of `user` on this node: counted
   * in the presence store (from now on, even if a store fails below: `disconnected` uncounts it),
   * and the session stored as connected. Run it in the user's turn.
   */
  async connected(user: PresenceUser, connection: object): Promise<void> {
    const { sessionID, userID, username } = user;
    this.counted.add(connection);
    await this.presence.connect(userID);
    await this.sessions.saveSession({
      sessionID,
      userID,
      username,
      connected: true,
      lastSeen: this.clock.now(),
    });
  }

  /**
   * `user connected` to every socket that hears about the user (the connecting one aside, as the
   * caller sends it from there).
   */
  arrival(user: PresenceUser): Delivery {
    return {
      rooms: presenceRooms(user.userID),
      event: ChatEvent.UserConnected,
      payload: connectedView(user),
    };
  }

  /**
   * One connection of `user` on this node fewer; if it was their last on any node (the presence
   * store tells, across nodes), announces them offline. Run it in the user's turn. Rejects if a
   * store fails.
   */
  async disconnected(user: PresenceUser, connection: object): Promise<void> {
    if (!this.counted.delete(connection)) return;
    if (!(await this.presence.disconnect(user.userID))) return;
    await this.announce(user, false);
    await this.acknowledge(user.userID);
  }

  /**
   * Announces users whose sockets were found gone, or back, without a socket event here: users
   * of a node that died, or whose state was uncertain after a Redis failure. Never rejects.
   */
  announcePresence(
    online: readonly string[],
    offline: readonly string[],
    /** When some of the offline ones were last seen (a dead node's last heartbeat); else now. */
    lastSeen: ReadonlyMap<string, number> = new Map(),
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
                this.announceKnown(
                  userID,
                  isOnline,
                  isOnline ? undefined : lastSeen.get(userID),
                ),
              ),
          );
      })(),
    );
  }

  /**
   * Tells every socket that hears about the user's presence that the user is gone for good (their
   * session expired and was deleted, SessionPruner), so that open clients drop them from their
   * lists. Never rejects: a client that misses it finds the user gone from its next `users`.
   */
  async announceForgotten(userID: string): Promise<void> {
    try {
      await this.broadcaster.publish(
        toOthers(userID, ChatEvent.UserForgotten, { userID }),
      );
      // Nothing will be said of this user again: their watchers leave the room, on every node.
      this.broadcaster.clearRoom(watchRoom(userID));
    } catch (error) {
      this.logger.warn(
        `announcing forgotten user ${userID} failed: ${describeError(error)}`,
      );
    }
  }

  /** The users among `userIDs` that are online (on any node). */
  onlineAmong(userIDs: readonly string[]): Promise<Set<string>> {
    return this.presence.onlineAmong(userIDs);
  }

  /** `announce` for a user known only by id: the rest comes from their session. */
  private async announceKnown(
    userID: string,
    online: boolean,
    lastSeen?: number,
  ): Promise<void> {
    try {
      await this.inTurn(userID, async () => {
        const session = await this.sessions.findSessionByUserID(userID);
        if (session) {
          const { sessionID, username } = session;
          await this.announce(
            { sessionID, userID, username },
            online,
            lastSeen,
          );
        } else if (!online) {
          // Forgotten meanwhile: nothing to store, but others may still show them online.
          await this.broadcaster.publish(
            toOthers(userID, ChatEvent.UserDisconnected, userID),
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
   * Stores in the session that the user went offline (or is online; from then on, if offline, its
   * inactivity counts towards SESSION_TTL), then tells every other socket, on every node: whoever
   * hears it and asks finds the session saying so already. Then asks the presence store again: on
   * another node the user may have come back (or left) meanwhile, and that node's announcement may
   * have reached the others before this one. Until the state read after an announcement is the
   * state announced, it announces again, so the last word everyone hears about a user is always
   * the true one. Each announcement is on its way (`publish`) before presence is read again.
   */
  private async announce(
    user: PresenceUser,
    online: boolean,
    /** When an offline user was last seen, if not now (their node died earlier). */
    lastSeen?: number,
  ): Promise<void> {
    const { sessionID, userID, username } = user;
    let state = online;
    for (let round = 0; round < MAX_ANNOUNCE_ROUNDS; round++) {
      try {
        await this.sessions.saveSession({
          sessionID,
          userID,
          username,
          connected: state,
          lastSeen:
            round === 0 && !state && lastSeen !== undefined
              ? Math.min(lastSeen, this.clock.now())
              : this.clock.now(),
        });
      } finally {
        // Told even if the session could not be saved (the caller hears that failure after).
        await this.broadcaster.publish(
          state
            ? toOthers(userID, ChatEvent.UserConnected, connectedView(user))
            : toOthers(userID, ChatEvent.UserDisconnected, userID),
        );
      }
      const now = await this.presence.isOnline(userID);
      if (now === state) return;
      state = now;
    }
    this.logger.warn(
      `presence of user ${userID} kept changing while it was announced`,
    );
  }
}

/** What `user connected` says of a user (as the guide's server sends it). */
function connectedView({ userID, username }: PresenceUser): UserView {
  return { userID, username, connected: true, messages: [] };
}

/** To every socket, on every node, that hears about this user's presence, but the user's own. */
function toOthers<E extends Delivery['event']>(
  userID: string,
  event: E,
  payload: Extract<Delivery, { event: E }>['payload'],
): Delivery {
  return {
    rooms: presenceRooms(userID),
    except: [userID],
    event,
    payload,
  } as Delivery;
}
