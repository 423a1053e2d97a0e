/** A user's session: `sessionID` is the secret that resumes it, `userID` the public identity. */
export interface StoredSession {
  sessionID: string;
  userID: string;
  username: string;
  /** True while the user has at least one socket open. */
  connected: boolean;
}

/**
 * Where sessions live. An abstract class rather than an interface so that it is also the DI token;
 * every method is async because the real implementations (SQLite, Redis) are.
 */
export abstract class SessionStore {
  /** The session of that secret, or undefined if unknown (or expired, for stores that expire). */
  abstract findSession(sessionID: string): Promise<StoredSession | undefined>;
  /** The session of that user, or undefined if no such user exists. */
  abstract findSessionByUserID(
    userID: string,
  ): Promise<StoredSession | undefined>;
  /** Inserts or replaces the session with that `sessionID`. */
  abstract saveSession(session: StoredSession): Promise<void>;
  /** Every session, in the order they were first saved. */
  abstract findAllSessions(): Promise<StoredSession[]>;
}
