import { Injectable } from '@nestjs/common';
import { SessionStore, type StoredSession } from '../session.store';

@Injectable()
export class MemorySessionStore extends SessionStore {
  // Map keeps insertion order, which findAllSessions promises.
  private readonly sessions = new Map<string, StoredSession>();
  private readonly sessionIDByUserID = new Map<string, string>();

  async findSession(sessionID: string): Promise<StoredSession | undefined> {
    const session = this.sessions.get(sessionID);
    return session && { ...session };
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
    return [...this.sessions.values()].map((session) => ({ ...session }));
  }
}
