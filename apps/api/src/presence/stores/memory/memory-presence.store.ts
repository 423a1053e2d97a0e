import {
  PresenceStore,
  type PresenceChanges,
  type SweptUsers,
} from '../presence.store';

/** Presence of one process (`STORE=memory` and `STORE=sqlite`): this node is the only one. */
export class MemoryPresenceStore extends PresenceStore {
  private readonly sockets = new Map<string, number>();
  readonly schedule = undefined;

  async connect(userID: string): Promise<boolean> {
    const count = (this.sockets.get(userID) ?? 0) + 1;
    this.sockets.set(userID, count);
    return count === 1;
  }

  async disconnect(userID: string): Promise<boolean> {
    const count = this.sockets.get(userID);
    if (count === undefined) return false;
    if (count > 1) {
      this.sockets.set(userID, count - 1);
      return false;
    }
    this.sockets.delete(userID);
    return true;
  }

  async onlineAmong(userIDs: readonly string[]): Promise<Set<string>> {
    return new Set(userIDs.filter((userID) => this.sockets.has(userID)));
  }

  async refresh(): Promise<PresenceChanges> {
    return { online: [], offline: [] };
  }

  async sweep(): Promise<SweptUsers> {
    return { offline: [], lastSeen: new Map() };
  }

  async acknowledge(): Promise<void> {
    // One process: nothing outlives it to be announced later.
  }

  async leave(): Promise<string[]> {
    const users = [...this.sockets.keys()];
    this.sockets.clear();
    return users;
  }
}
