import {
  DEFAULT_SESSION_STORE_OPTIONS,
  isExpired,
  SessionStore,
  type SessionStoreOptions,
  type StoredSession,
} from '../session.store';

export class MemorySessionStore extends SessionStore {
  // Map keeps insertion order, which findAllSessions promises.
  private readonly sessions = new Map<string, StoredSession>();
  private readonly sessionIDByUserID = new Map<string, string>();
  private readonly options: SessionStoreOptions;

  constructor(options: Partial<SessionStoreOptions> = {}) {
    super();
    this.options = { ...DEFAULT_SESSION_STORE_OPTIONS, ...options };
  }

  async findSession(sessionID: string): Promise<StoredSession | undefined> {
    const session = this.sessions.get(sessionID);
    return session && !this.expired(session) ? { ...session } : undefined;
  }

  async findSessionByUserID(
    userID: string,
  ): Promise<StoredSession | undefined> {
    const sessionID = this.sessionIDByUserID.get(userID);
    return sessionID === undefined ? undefined : this.findSession(sessionID);
  }

  async saveSession(session: StoredSession): Promise<void> {
    // Copies in and out, so callers never share mutable state with the store (as with a real DB).
    this.sessions.set(session.sessionID, { ...session });
    this.sessionIDByUserID.set(session.userID, session.sessionID);
  }

  async findAllSessions(): Promise<StoredSession[]> {
    return [...this.sessions.values()]
      .filter((session) => !this.expired(session))
      .map((session) => ({ ...session }));
  }

  async findExpired(limit: number): Promise<StoredSession[]> {
    return [...this.sessions.values()]
      .filter((session) => this.expired(session))
      .sort((a, b) => a.lastSeen - b.lastSeen)
      .slice(0, limit)
      .map((session) => ({ ...session }));
  }

  async deleteExpired(sessionID: string): Promise<boolean> {
    const session = this.sessions.get(sessionID);
    if (!session || !this.expired(session)) return false;
    this.sessions.delete(sessionID);
    if (this.sessionIDByUserID.get(session.userID) === sessionID)
      this.sessionIDByUserID.delete(session.userID);
    return true;
  }

  private expired(session: StoredSession): boolean {
    return isExpired(session, this.options.clock.now(), this.options.ttlMs);
  }
}
