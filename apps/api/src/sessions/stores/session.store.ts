import { DEFAULT_SETTINGS, type Settings } from '@chat/contracts';

/** A user's session: `sessionID` is the secret that resumes it, `userID` the public identity. */
export interface StoredSession {
  sessionID: string;
  userID: string;
  username: string;
  /** True while the user has at least one socket open. */
  connected: boolean;
  /** When the user was last seen (ms since the epoch): set on connect and on the last disconnect. */
  lastSeen: number;
}

/**
 * Expired: not connected, and last seen at least `ttlMs` ago. A connected session never expires.
 * Every implementation applies exactly this rule.
 */
export function isExpired(
  session: Pick<StoredSession, 'connected' | 'lastSeen'>,
  now: number,
  ttlMs: number,
): boolean {
  return !session.connected && now - session.lastSeen >= ttlMs;
}

/** `current` (the defaults if none) with the settings of `changes` that are given. */
export function changedSettings(
  current: Settings | undefined,
  changes: Partial<Settings>,
): Settings {
  const { readReceipts, typing } = { ...DEFAULT_SETTINGS, ...current };
  return {
    readReceipts: changes.readReceipts ?? readReceipts,
    typing: changes.typing ?? typing,
  };
}

/** One page of the directory to read. */
export interface DirectoryQuery {
  /** Only sessions whose `nameKey` starts with this (give it as `nameKey(query)`). */
  prefix?: string;
  /** Only sessions whose `directoryKey` is greater: the `next` of the previous page. */
  after?: string;
  limit: number;
}

export interface DirectoryPage {
  sessions: StoredSession[];
  /** The `after` of the following page; absent when no session follows. */
  next?: string;
}

/**
 * Where sessions live. An abstract class rather than an interface so that it is also the DI token;
 * every method is async because the real implementations (SQLite, Redis) are. Expired sessions
 * (`isExpired`) are invisible to every `find*` method except `findExpired`, as if already deleted.
 */
export abstract class SessionStore {
  /** The session of that secret, or undefined if unknown or expired. */
  abstract findSession(sessionID: string): Promise<StoredSession | undefined>;
  /** The session of that user, or undefined if no such user exists (or their session expired). */
  abstract findSessionByUserID(
    userID: string,
  ): Promise<StoredSession | undefined>;
  /**
   * Whether that user has an unexpired session (`findSessionByUserID` would find one): what every
   * private message asks of its recipient. A store may answer it more cheaply than a find.
   */
  async hasUser(userID: string): Promise<boolean> {
    return (await this.findSessionByUserID(userID)) !== undefined;
  }
  /** Inserts or replaces the session with that `sessionID`; resolves once durable. */
  abstract saveSession(session: StoredSession): Promise<void>;
  /** Every unexpired session, in the order they were first saved. */
  abstract findAllSessions(): Promise<StoredSession[]>;
  /**
   * Unexpired sessions in directory order (`directoryKey`), after `after`, starting with
   * `prefix`, at most `limit`. A store may return fewer than `limit` with a `next` (expired
   * sessions it skipped); `next` is absent only when no session follows.
   */
  abstract findDirectory(query: DirectoryQuery): Promise<DirectoryPage>;
  /** At most `limit` expired sessions, least recently seen first: what the pruner deletes. */
  abstract findExpired(limit: number): Promise<StoredSession[]>;
  /**
   * Deletes that session if it is (still) expired; true if it did. A session saved again meanwhile
   * (connected, or seen recently) is kept.
   */
  abstract deleteExpired(sessionID: string): Promise<boolean>;

  /**
   * The privacy settings of those of `userIDs` that have an unexpired session (`DEFAULT_SETTINGS`
   * for one who never changed them); the others are left out.
   */
  abstract findSettings(
    userIDs: readonly string[],
  ): Promise<Map<string, Settings>>;

  /**
   * Changes the given settings of that user (the others stay as they are) and resolves, once
   * durable, with all of them; undefined, changing nothing, if the user has no unexpired session.
   * Settings are stored with the session: `saveSession` keeps them, and they go when it is deleted.
   */
  abstract updateSettings(
    userID: string,
    changes: Partial<Settings>,
  ): Promise<Settings | undefined>;
}
