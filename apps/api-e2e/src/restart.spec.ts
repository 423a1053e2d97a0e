import type { Message } from '@chat/contracts';
import { ClientPool, startApi, type ApiProcess } from '@chat/test-support';

/**
 * Durability at the process level: an acknowledged message survives a SIGKILL of the api.
 * The api runs as a real process (the production build) on its own SQLite file.
 */
describe('api restart on SQLite', () => {
  let api: ApiProcess | undefined;
  let url = '';
  const clients = new ClientPool(() => url);

  afterEach(async () => {
    clients.closeAll();
    await api?.stop();
    api = undefined;
  });

  async function start(env: Record<string, string> = {}) {
    // A burst of hundreds of messages is the point here, not the rate limit.
    api = await startApi({
      HISTORY_LIMIT: '1000',
      RATE_LIMIT_BURST: '1000',
      RATE_LIMIT_PER_SECOND: '1000',
      ...env,
    });
    url = api.url;
    return api;
  }

  it('keeps every acknowledged message, in order, without duplicates, across a SIGKILL', async () => {
    const first = await start();
    const alice = await clients.connect({ username: 'alice' });
    const bob = await clients.connect({ username: 'bob' });

    // A stream in both directions, not awaited one by one; the kill lands while it is in flight.
    const acked: Message[] = [];
    const sends: Promise<unknown>[] = [];
    const send = (i: number) => {
      const [from, to] = i % 2 === 0 ? [alice, bob] : [bob, alice];
      sends.push(
        from.client
          .send({ content: `message ${i}`, to: to.session.userID })
          .then((ack) => {
            if (ack.ok) acked.push(ack.message);
          })
          .catch(() => undefined), // unacknowledged: the kill came first
      );
    };
    let sent = 0;
    // Keep sending, a few per turn, until a hundred are acknowledged; then kill with no chance
    // to clean up, while more are on the wire.
    while (acked.length < 100 && sent < 2000) {
      for (let k = 0; k < 10; k++) send(sent++);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await first.stop('SIGKILL');
    await Promise.all(sends);
    expect(acked.length).toBeGreaterThanOrEqual(100);
    clients.closeAll();

    await start({ SQLITE_PATH: first.env['SQLITE_PATH'] });
    const aliceAgain = await clients.connect({
      sessionID: alice.session.sessionID,
    });
    expect(aliceAgain.session.userID).toBe(alice.session.userID);
    expect(aliceAgain.session.username).toBe('alice');

    const withBob = aliceAgain.users.find(
      (user) => user.userID === bob.session.userID,
    );
    expect(withBob).toBeDefined();
    const stored = withBob?.messages ?? [];
    const storedIds = stored.map((message) => message.id);
    // No duplicates, strictly increasing ids, and every acknowledged message is there unchanged.
    expect(new Set(storedIds).size).toBe(storedIds.length);
    expect([...storedIds].sort()).toEqual(storedIds);
    const byId = new Map(stored.map((message) => [message.id, message]));
    for (const message of acked) expect(byId.get(message.id)).toEqual(message);
    // Order inside the conversation is the order the server accepted them: each sender's own
    // messages appear in the order they were sent.
    const numbers = stored.map((message) =>
      Number(message.content.split(' ')[1]),
    );
    const aliceNumbers = numbers.filter((n) => n % 2 === 0);
    const bobNumbers = numbers.filter((n) => n % 2 === 1);
    expect(aliceNumbers).toEqual([...aliceNumbers].sort((a, b) => a - b));
    expect(bobNumbers).toEqual([...bobNumbers].sort((a, b) => a - b));
  });

  it('resumes sessions after a restart, and a message to an offline user waits for them', async () => {
    const first = await start();
    const alice = await clients.connect({ username: 'alice' });
    const bob = await clients.connect({ username: 'bob' });
    bob.client.close();
    await alice.client.waitFor(
      'user disconnected',
      (id) => id === bob.session.userID,
    );
    const sent = await alice.client.send({
      content: 'while you were away',
      to: bob.session.userID,
    });
    expect(sent.ok).toBe(true);

    await first.stop('SIGTERM');
    await start({ SQLITE_PATH: first.env['SQLITE_PATH'] });

    const bobAgain = await clients.connect({
      sessionID: bob.session.sessionID,
    });
    expect(bobAgain.session.userID).toBe(bob.session.userID);
    const withAlice = bobAgain.users.find(
      (user) => user.userID === alice.session.userID,
    );
    expect(withAlice?.messages.map((message) => message.content)).toEqual([
      'while you were away',
    ]);
    // Nobody is shown online just because they were when the api stopped.
    expect(withAlice?.connected).toBe(false);
  });
});
