import { DEFAULT_SESSION_TTL_MS } from '../../config/app-config';
import { SystemClock, type Clock } from '../clock';

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
  /** Inserts or replaces the session with that `sessionID`; resolves once durable. */
  abstract saveSession(session: StoredSession): Promise<void>;
  /** Every unexpired session, in the order they were first saved. */
  abstract findAllSessions(): Promise<StoredSession[]>;
  /** At most `limit` expired sessions, least recently seen first: what the pruner deletes. */
  abstract findExpired(limit: number): Promise<StoredSession[]>;
  /**
   * Deletes that session if it is (still) expired; true if it did. A session saved again meanwhile
   * (connected, or seen recently) is kept.
   */
  abstract deleteExpired(sessionID: string): Promise<boolean>;
}
