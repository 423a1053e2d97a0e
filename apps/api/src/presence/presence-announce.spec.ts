import type { UserView } from '@chat/contracts';
import {
  ClientPool,
  eventually,
  startServer,
  type TestServer,
} from '../testing/chat-test-kit';
import { testStores } from '../testing/test-stores';
import { MemoryPresenceStore } from './stores/memory/memory-presence.store';

/**
 * A presence store in which the user comes back on "another node" right after their last socket
 * here went: what a reload onto another node looks like, when this node's `user disconnected`
 * reaches the others after that node's `user connected`.
 */
class ComingBackPresenceStore extends MemoryPresenceStore {
  readonly elsewhere = new Set<string>();
  comeBack: string | undefined;

  override async disconnect(userID: string): Promise<boolean> {
    const last = await super.disconnect(userID);
    if (last && userID === this.comeBack) this.elsewhere.add(userID);
    return last;
  }

  override async onlineAmong(userIDs: readonly string[]) {
    const online = await super.onlineAmong(userIDs);
    for (const userID of userIDs)
      if (this.elsewhere.has(userID)) online.add(userID);
    return online;
  }
}

// The last word about a user's presence is always the true one (PresenceService.announce).
describe('PresenceService: announcements checked against presence', () => {
  let server: TestServer;
  let presence: ComingBackPresenceStore;
  const pool = new ClientPool(() => server.url);

  beforeEach(async () => {
    presence = new ComingBackPresenceStore();
    server = await startServer(
      {},
      { stores: testStores(undefined, undefined, presence) },
    );
  });

  afterEach(async () => {
    pool.closeAll();
    await server.app.close();
  });

  it('corrects "user disconnected" when the user is back elsewhere meanwhile', async () => {
    const observer = await pool.connect({ username: 'observer' });
    const frank = await pool.connect({ username: 'frank' });
    const frankID = frank.session.userID;
    presence.comeBack = frankID;

    frank.client.close();
    // The second `user connected` about frank: the first was his arrival.
    await eventually(
      () =>
        observer.client.received.filter(
          (r) =>
            r.event === 'user connected' &&
            (r.payload as UserView).userID === frankID,
        ).length === 2,
      'frank announced back',
    );
    const about = observer.client.received.filter(
      (r) =>
        r.payload === frankID ||
        (r.payload as UserView | undefined)?.userID === frankID,
    );
    // Arrival, departure, then the correction.
    expect(about.map((r) => r.event)).toEqual([
      'user connected',
      'user disconnected',
      'user connected',
    ]);
    const witness = await pool.connect({ username: 'witness' });
    expect(witness.users.find((u) => u.userID === frankID)?.connected).toBe(
      true,
    );
  });
});
