import type { Settings } from '@chat/contracts';
import type { Redis } from 'ioredis';
import {
  compareCodePoints,
  directoryKey,
  PREFIX_END,
  splitDirectoryKey,
} from '../../../directory/directory-order';
import {
  sessionStoreOptions,
  type SessionStoreOptions,
} from '../session-store-options';
import {
  isExpired,
  type DirectoryPage,
  type DirectoryQuery,
  SessionStore,
  type StoredSession,
} from '../session.store';
import type { RedisKeys } from '../../../shared/redis/redis-keys';
import { defineSessionCommands, type SessionCommands } from './session-scripts';

/** Past this many, the `hasUser` cache starts again empty (it only saves round trips). */
const ALIVE_CACHE_MAX = 100_000;

/** Hashes read per round trip when listing sessions. */
const READ_BATCH = 500;

type SessionHash = Record<string, string>;

/**
 * `STORE=redis` sessions: one hash per session, plus a userID → sessionID key and two sorted sets
 * (order first saved; not connected by lastSeen, for the pruner). Expiry is the shared rule
 * `isExpired` applied on read with the app's clock, as in every store; the pruner deletes.
 */
export class RedisSessionStore extends SessionStore {
  private readonly options: SessionStoreOptions;
  private readonly redis: Redis & SessionCommands;
  /**
   * `hasUser`'s answers: userID → until when its session is alive for sure, whatever any node
   * does meanwhile. A session's expiry only ever moves later (a save is a connect, or a disconnect
   * seen now), and the pruner deletes only expired sessions: no node has to tell the others.
   */
  private readonly aliveUntil = new Map<string, number>();
  /** `hasUser` lookups still waiting for Redis, and the last one asked (resolves true). */
  private lookups = 0;
  private lastLookup: Promise<boolean> = Promise.resolve(true);

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    options: Partial<SessionStoreOptions> = {},
  ) {
    super();
    this.options = sessionStoreOptions(options);
    this.redis = defineSessionCommands(redis);
  }

  async findSession(sessionID: string): Promise<StoredSession | undefined> {
    const hash = await this.redis.hgetall(this.keys.session(sessionID));
    return this.alive(sessionID, hash);
  }

  async findSessionByUserID(
    userID: string,
  ): Promise<StoredSession | undefined> {
    const sessionID = await this.redis.get(this.keys.sessionOfUser(userID));
    return sessionID === null ? undefined : this.findSession(sessionID);
  }

  /**
   * Answers in the order asked: a cached yes waits for the lookups asked before it. Otherwise a
   * sender's second message, to a recipient cached meanwhile (by a lookup for someone else's
   * message), would be saved and delivered before its first, still waiting for Redis.
   *
   * A lookup counts as pending until the microtasks of its answer have all run (`nextTick`): its
   * callers resume among them and save at once. A second message whose rate-limit answer came in
   * the same read from Redis resumes among those microtasks too, and must not skip ahead.
   */
  override hasUser(userID: string): Promise<boolean> {
    const now = this.options.clock.now();
    if (now < (this.aliveUntil.get(userID) ?? -Infinity))
      return this.lookups === 0 ? Promise.resolve(true) : this.lastLookup;
    this.lookups += 1;
    const lookup = this.lookUp(userID, now);
    const settled = () => process.nextTick(() => (this.lookups -= 1));
    lookup.then(settled, settled);
    // A cached yes after this lookup resolves after it; a failed lookup is that caller's alone.
    this.lastLookup = lookup.then(
      () => true,
      () => true,
    );
    return lookup;
  }

  private async lookUp(userID: string, now: number): Promise<boolean> {
    const found = await this.redis.chatHasUser(
      this.keys.sessionOfUser(userID),
      now - this.options.ttlMs,
      this.keys.session(''),
    );
    if (found.length === 0) {
      this.aliveUntil.delete(userID);
      return false;
    }
    if (this.aliveUntil.size >= ALIVE_CACHE_MAX) this.aliveUntil.clear();
    // Seen connected now, it expires TTL after a disconnect that can only come later.
    const [connected, lastSeen] = found;
    this.aliveUntil.set(
      userID,
      (connected === 1 ? now : Number(lastSeen)) + this.options.ttlMs,
    );
    return true;
  }

  async saveSession(session: StoredSession): Promise<void> {
    const keys = this.keys;
    await this.redis.chatSaveSession(
      keys.session(session.sessionID),
      keys.sessionOfUser(session.userID),
      keys.sessions,
      keys.offlineSessions,
      keys.sessionSequence,
      keys.directory,
      session.sessionID,
      session.userID,
      session.username,
      session.connected ? '1' : '0',
      session.lastSeen,
      directoryKey(session),
    );
  }

  async findAllSessions(): Promise<StoredSession[]> {
    const ids = await this.redis.zrange(this.keys.sessions, 0, -1);
    return this.read(ids);
  }

  async findDirectory({
    prefix = '',
    after,
    limit,
  }: DirectoryQuery): Promise<DirectoryPage> {
    // Members compare as bytes (UTF-8): the code point order of `directoryKey`.
    const start =
      after !== undefined && compareCodePoints(after, prefix) > 0
        ? `(${after}`
        : `[${prefix}`;
    const end = prefix ? `(${prefix}${PREFIX_END}` : '+';
    // One key more than asked for tells whether a next page exists.
    const keys = await this.redis.zrangebylex(
      this.keys.directory,
      start,
      end,
      'LIMIT',
      0,
      limit + 1,
    );
    const page = keys.slice(0, limit);
    const pipeline = this.redis.pipeline();
    for (const key of page)
      pipeline.get(this.keys.sessionOfUser(splitDirectoryKey(key)[1]));
    const sessionIDs = ((await pipeline.exec()) ?? []).map(([error, id]) => {
      if (error) throw error;
      return id as string | null;
    });
    // A key whose session is gone (expired, or deleted meanwhile) is skipped.
    const sessions = await this.read(
      sessionIDs.filter((id): id is string => id !== null),
    );
    return keys.length > limit
      ? { sessions, next: page[limit - 1] }
      : { sessions };
  }

  async findExpired(limit: number): Promise<StoredSession[]> {
    const ids = await this.redis.zrangebyscore(
      this.keys.offlineSessions,
      '-inf',
      this.cutoff(),
      'LIMIT',
      0,
      limit,
    );
    const sessions = await this.readHashes(ids);
    return sessions.flatMap(([sessionID, hash]) => {
      const session = toSession(sessionID, hash);
      return session && this.expired(session) ? [session] : [];
    });
  }

  async deleteExpired(sessionID: string): Promise<boolean> {
    const deleted = await this.redis.chatDeleteExpiredSession(
      this.keys.session(sessionID),
      this.keys.sessions,
      this.keys.offlineSessions,
      this.keys.directory,
      sessionID,
      this.cutoff(),
      this.keys.sessionOfUser(''),
    );
    return deleted === 1;
  }

  async findSettings(
    userIDs: readonly string[],
  ): Promise<Map<string, Settings>> {
    const found = new Map<string, Settings>();
    if (userIDs.length === 0) return found;
    const sessionIDs = await this.sessionIDsOf(userIDs);
    const users = userIDs.filter((_, i) => sessionIDs[i] !== null);
    const pipeline = this.redis.pipeline();
    for (const sessionID of sessionIDs)
      if (sessionID !== null)
        pipeline.hmget(
          this.keys.session(sessionID),
          'userID',
          'connected',
          'lastSeen',
          'readReceipts',
          'typing',
        );
    const results = (await pipeline.exec()) ?? [];
    const now = this.options.clock.now();
    results.forEach(([error, fields], i) => {
      if (error) throw error;
      const [userID, connected, lastSeen, readReceipts, typing] = fields as (
        | string
        | null
      )[];
      const session = {
        connected: connected === '1',
        lastSeen: Number(lastSeen),
      };
      if (userID !== users[i] || isExpired(session, now, this.options.ttlMs))
        return;
      found.set(users[i], toSettings(readReceipts, typing));
    });
    return found;
  }

  async updateSettings(
    userID: string,
    changes: Partial<Settings>,
  ): Promise<Settings | undefined> {
    const [sessionID] = await this.sessionIDsOf([userID]);
    if (sessionID === null) return undefined;
    const flag = (value: boolean | undefined) =>
      value === undefined ? '' : value ? '1' : '0';
    const result = await this.redis.chatUpdateSettings(
      this.keys.session(sessionID),
      userID,
      this.cutoff(),
      flag(changes.readReceipts),
      flag(changes.typing),
    );
    return result.length === 0 ? undefined : toSettings(result[0], result[1]);
  }

  /** The sessionID of each user (null for none), in one round trip. */
  private async sessionIDsOf(
    userIDs: readonly string[],
  ): Promise<(string | null)[]> {
    const pipeline = this.redis.pipeline();
    for (const userID of userIDs) pipeline.get(this.keys.sessionOfUser(userID));
    return ((await pipeline.exec()) ?? []).map(([error, id]) => {
      if (error) throw error;
      return id as string | null;
    });
  }

  /** The unexpired sessions among `ids`, in that order. */
  private async read(ids: string[]): Promise<StoredSession[]> {
    const hashes = await this.readHashes(ids);
    return hashes.flatMap(([sessionID, hash]) => {
      const session = this.alive(sessionID, hash);
      return session ? [session] : [];
    });
  }

  private async readHashes(ids: string[]): Promise<[string, SessionHash][]> {
    const found: [string, SessionHash][] = [];
    for (let start = 0; start < ids.length; start += READ_BATCH) {
      const batch = ids.slice(start, start + READ_BATCH);
      const pipeline = this.redis.pipeline();
      for (const id of batch) pipeline.hgetall(this.keys.session(id));
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([error, hash], i) => {
        if (error) throw error;
        found.push([batch[i], hash as SessionHash]);
      });
    }
    return found;
  }

  private alive(
    sessionID: string,
    hash: SessionHash,
  ): StoredSession | undefined {
    const session = toSession(sessionID, hash);
    return session && !this.expired(session) ? session : undefined;
  }

  private expired(session: StoredSession): boolean {
    return isExpired(session, this.options.clock.now(), this.options.ttlMs);
  }

  /** Sessions last seen at or before this (and not connected) are expired: `isExpired`. */
  private cutoff(): number {
    return this.options.clock.now() - this.options.ttlMs;
  }
}

/** A setting is on unless stored off ('0'): never stored means the default. */
const toSettings = (
  readReceipts: string | null | undefined,
  typing: string | null | undefined,
): Settings => ({ readReceipts: readReceipts !== '0', typing: typing !== '0' });

function toSession(
  sessionID: string,
  hash: SessionHash,
): StoredSession | undefined {
  const { userID, username, connected, lastSeen } = hash;
  if (userID === undefined || username === undefined) return undefined;
  return {
    sessionID,
    userID,
    username,
    connected: connected === '1',
    lastSeen: Number(lastSeen),
  };
}
