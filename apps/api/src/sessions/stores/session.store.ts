import { DEFAULT_SESSION_TTL_MS } from '../../config/app-config';
import { SystemClock, type Clock } from '../../shared/clock';

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

/** What every implementation is built with. */
export interface SessionStoreOptions {
  /** Inactivity (ms) after which a session that is not connected is expired. */
  ttlMs: number;
  /** The time expiry is measured against. */
  clock: Clock;
}

export const DEFAULT_SESSION_STORE_OPTIONS: SessionStoreOptions = {
  ttlMs: DEFAULT_SESSION_TTL_MS,
  clock: new SystemClock(),
};

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

/**
 * The directory's order: by name, case-insensitive, then by userID. A session's place in it is
 * its key, `nameKey(username) + "\0" + userID` (usernames hold no control characters), compared
 * by code points, which is also the byte order of UTF-8 that SQLite and Redis compare by.
 */
export const nameKey = (username: string): string => username.toLowerCase();

export const directoryKey = (
  session: Pick<StoredSession, 'username' | 'userID'>,
): string => `${nameKey(session.username)}\u0000${session.userID}`;

/** Splits a key (or a cursor a client sent back, which may be anything) into name and userID. */
export function splitDirectoryKey(key: string): [name: string, userID: string] {
  const at = key.indexOf('\u0000');
  return at < 0 ? [key, ''] : [key.slice(0, at), key.slice(at + 1)];
}

/** Above every code point: `prefix + PREFIX_END` bounds the keys that start with `prefix`. */
export const PREFIX_END = '\u{10FFFF}';

/** Code point order (JS `<` compares UTF-16 units, which differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

// Surrogates (U+D800–DFFF, the halves of code points above U+FFFF) rank above U+E000–FFFF.
const codePointRank = (unit: number) =>
  unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit;

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
}
