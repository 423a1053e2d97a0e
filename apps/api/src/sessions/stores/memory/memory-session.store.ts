import { DEFAULT_SETTINGS, type Settings } from '@chat/contracts';
import {
  compareCodePoints,
  directoryKey,
} from '../../../directory/directory-order';
import {
  sessionStoreOptions,
  type SessionStoreOptions,
} from '../session-store-options';
import {
  changedSettings,
  isExpired,
  type DirectoryPage,
  type DirectoryQuery,
  SessionStore,
  type StoredSession,
} from '../session.store';

export class MemorySessionStore extends SessionStore {
  // Map keeps insertion order, which findAllSessions promises.
  private readonly sessions = new Map<string, StoredSession>();
  private readonly sessionIDByUserID = new Map<string, string>();
  /** Every session's `directoryKey` and sessionID, sorted by key: binary searched, not sorted per read. */
  private readonly directory: { key: string; sessionID: string }[] = [];
  /** Settings changed from the defaults, by sessionID: they live and go with the session. */
  private readonly settings = new Map<string, Settings>();
  private readonly options: SessionStoreOptions;

  constructor(options: Partial<SessionStoreOptions> = {}) {
    super();
    this.options = sessionStoreOptions(options);
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
    const previous = this.sessions.get(session.sessionID);
    const key = directoryKey(session);
    if (!previous || directoryKey(previous) !== key) {
      if (previous) this.removeFromDirectory(directoryKey(previous));
      this.directory.splice(this.indexAfter(key, true), 0, {
        key,
        sessionID: session.sessionID,
      });
    }
    // Copies in and out, so callers never share mutable state with the store (as with a real DB).
    this.sessions.set(session.sessionID, { ...session });
    this.sessionIDByUserID.set(session.userID, session.sessionID);
  }

  async findAllSessions(): Promise<StoredSession[]> {
    return [...this.sessions.values()]
      .filter((session) => !this.expired(session))
      .map((session) => ({ ...session }));
  }

  async findDirectory({
    prefix = '',
    after,
    limit,
  }: DirectoryQuery): Promise<DirectoryPage> {
    const sessions: StoredSession[] = [];
    let index =
      after === undefined || compareCodePoints(after, prefix) < 0
        ? this.indexAfter(prefix, true)
        : this.indexAfter(after, false);
    for (; index < this.directory.length; index++) {
      const { key, sessionID } = this.directory[index];
      if (!key.startsWith(prefix)) break;
      if (sessions.length === limit)
        return { sessions, next: directoryKey(sessions[limit - 1]) };
      const session = this.sessions.get(sessionID);
      if (session && !this.expired(session)) sessions.push({ ...session });
    }
    return { sessions };
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
    this.settings.delete(sessionID);
    this.removeFromDirectory(directoryKey(session));
    if (this.sessionIDByUserID.get(session.userID) === sessionID)
      this.sessionIDByUserID.delete(session.userID);
    return true;
  }

  async findSettings(
    userIDs: readonly string[],
  ): Promise<Map<string, Settings>> {
    const found = new Map<string, Settings>();
    for (const userID of userIDs) {
      const sessionID = this.liveSessionID(userID);
      if (sessionID !== undefined)
        found.set(userID, {
          ...(this.settings.get(sessionID) ?? DEFAULT_SETTINGS),
        });
    }
    return found;
  }

  async updateSettings(
    userID: string,
    changes: Partial<Settings>,
  ): Promise<Settings | undefined> {
    const sessionID = this.liveSessionID(userID);
    if (sessionID === undefined) return undefined;
    const settings = changedSettings(this.settings.get(sessionID), changes);
    this.settings.set(sessionID, settings);
    return { ...settings };
  }

  /** That user's sessionID, if their session is alive. */
  private liveSessionID(userID: string): string | undefined {
    const sessionID = this.sessionIDByUserID.get(userID);
    const session =
      sessionID === undefined ? undefined : this.sessions.get(sessionID);
    return session && !this.expired(session) ? sessionID : undefined;
  }

  /** The index of the first key ≥ `key` (`inclusive`) or > `key`. */
  private indexAfter(key: string, inclusive: boolean): number {
    let low = 0;
    let high = this.directory.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const order = compareCodePoints(this.directory[middle].key, key);
      if (order < 0 || (order === 0 && !inclusive)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private removeFromDirectory(key: string): void {
    const index = this.indexAfter(key, true);
    if (this.directory[index]?.key === key) this.directory.splice(index, 1);
  }

  private expired(session: StoredSession): boolean {
    return isExpired(session, this.options.clock.now(), this.options.ttlMs);
  }
}
