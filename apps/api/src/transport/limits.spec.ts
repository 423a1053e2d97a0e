import { ErrorCode } from '@chat/contracts';
import { within } from '@chat/test-support';
import { TOO_MANY_CONNECTIONS } from '../app/connection-gate';
import { TOO_MANY_NEW_SESSIONS } from '../sessions/sessions.service';
import {
  ClientPool,
  eventually,
  startServer,
  TestClient,
  WAIT_MS,
  type TestServer,
} from '../testing/chat-test-kit';
import {
  FlakyMessageStore,
  GatedSessionStore,
  testStores,
} from '../testing/test-stores';

// Limits and failures at the gateway, against the real app: rate limits, new sessions and open
// connections per address, the payload cap, a failing store, messages sent while connecting.
describe('ChatGateway: limits', () => {
  let server: TestServer;
  const pool = new ClientPool(() => server.url);

  afterEach(async () => {
    pool.closeAll();
    await server.app.close();
  });

  it('rate limits per user across tabs, and not other users', async () => {
    server = await startServer({
      RATE_LIMIT_BURST: '3',
      RATE_LIMIT_PER_SECOND: '0.001',
    });
    const alice = await pool.connect({ username: 'alice' });
    const alice2 = await pool.connect({ sessionID: alice.session.sessionID });
    const bob = await pool.connect({ username: 'bob' });
    const to = bob.session.userID;
    const results = [];
    for (let i = 0; i < 3; i++)
      results.push(await alice.client.send({ content: `m${i}`, to }));
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(await alice.client.send({ content: 'm3', to })).toEqual({
      ok: false,
      error: ErrorCode.RateLimited,
    });
    expect(await alice2.client.send({ content: 'other tab', to })).toEqual({
      ok: false,
      error: ErrorCode.RateLimited,
    });
    expect(
      (
        await bob.client.send({
          content: 'bob is fine',
          to: alice.session.userID,
        })
      ).ok,
    ).toBe(true);
    expect(bob.client.all('private message').map((m) => m.content)).toEqual([
      'm0',
      'm1',
      'm2',
    ]);
  });

  it('starts at most NEW_SESSIONS_PER_MINUTE new users per client address; resuming is not counted', async () => {
    server = await startServer({ NEW_SESSIONS_PER_MINUTE: '2' });
    const alice = await pool.connect({ username: 'alice' });
    await pool.connect({ username: 'bob' });
    const refused = await pool.refused({ username: 'carol' });
    expect(refused.message).toBe(ErrorCode.RateLimited);
    expect(refused.data).toEqual({ reason: TOO_MANY_NEW_SESSIONS });
    // Her session is no new user: it resumes.
    const again = await pool.connect({ sessionID: alice.session.sessionID });
    expect(again.session).toEqual(alice.session);
    // Nothing was stored for carol.
    expect(again.users.map((user) => user.username).sort()).toEqual([
      'alice',
      'bob',
    ]);
  });

  it('holds at most MAX_CONNECTIONS_PER_ADDRESS connections of one address open, resumes included', async () => {
    server = await startServer({ MAX_CONNECTIONS_PER_ADDRESS: '2' });
    /** Whether a client's handshake ends connected (or refused). */
    const connects = (client: TestClient) =>
      within(
        new Promise<boolean>((resolve) => {
          client.socket.once('connect', () => resolve(true));
          client.socket.once('connect_error', () => resolve(false));
        }),
        WAIT_MS,
        'the end of the handshake',
      );
    const alice = await pool.connect({ username: 'alice' });
    const again = { sessionID: alice.session.sessionID };
    const second = await pool.connect(again);
    // Refused before any session exists: a transport error, which socket.io-client retries.
    expect(await pool.refused(again)).toMatchObject({
      message: 'websocket error',
    });
    const polling = await fetch(
      `${server.url}/socket.io/?EIO=4&transport=polling`,
    );
    expect(polling.status).toBe(403);
    expect(await polling.json()).toMatchObject({
      message: TOO_MANY_CONNECTIONS,
    });
    second.client.close();
    // Once the server has seen one close, another tab gets in.
    await eventually(async () => {
      const tab = pool.open(again);
      if (await connects(tab)) return true;
      tab.close();
      return false;
    }, 'another tab of alice connected');
  });

  it('counts the address a trusted proxy forwards (TRUST_PROXY), and only then', async () => {
    const from = (address: string) => ({
      headers: { 'x-forwarded-for': address },
    });
    server = await startServer({
      NEW_SESSIONS_PER_MINUTE: '1',
      TRUST_PROXY: 'true',
    });
    const url = server.url;
    await pool.connect({ username: 'alice' }, url, from('198.51.100.1'));
    await pool.connect({ username: 'bob' }, url, from('198.51.100.2'));
    // The last entry is the one the proxy added; the ones before it, the client's own word.
    const forged = await pool.refused(
      { username: 'mallory' },
      url,
      from('198.51.100.3, 198.51.100.1'),
    );
    expect(forged.message).toBe(ErrorCode.RateLimited);
    await server.app.close();

    // Without TRUST_PROXY the header changes nothing: one address, one new user.
    server = await startServer({ NEW_SESSIONS_PER_MINUTE: '1' });
    await pool.connect({ username: 'alice' }, server.url, from('198.51.100.1'));
    expect(
      (
        await pool.refused(
          { username: 'bob' },
          server.url,
          from('198.51.100.2'),
        )
      ).message,
    ).toBe(ErrorCode.RateLimited);
  });

  it('cuts a frame above MAX_PAYLOAD_BYTES at the transport, and the server keeps serving', async () => {
    server = await startServer({ MAX_PAYLOAD_BYTES: '65536' });
    const alice = await pool.connect({ username: 'alice' });
    const bob = await pool.connect({ username: 'bob' });
    alice.client.socket.emit('private message', {
      content: 'x'.repeat(100_000),
      to: bob.session.userID,
    });
    expect(await alice.client.disconnected()).toBe('transport close');
    const carol = await pool.connect({ username: 'carol' });
    expect(
      (await carol.client.send({ content: 'hi', to: bob.session.userID })).ok,
    ).toBe(true);
    await bob.client.waitFor('private message', (m) => m.content === 'hi');
    expect(bob.client.all('private message').map((m) => m.content)).toEqual([
      'hi',
    ]);
  });

  it('answers "unavailable" when the store fails, emits nothing, and recovers', async () => {
    const messages = new FlakyMessageStore();
    server = await startServer({}, { stores: testStores(undefined, messages) });
    const alice = await pool.connect({ username: 'alice' });
    const bob = await pool.connect({ username: 'bob' });
    messages.failing = true;
    expect(
      await alice.client.send({ content: 'lost', to: bob.session.userID }),
    ).toEqual({
      ok: false,
      error: ErrorCode.Unavailable,
    });
    expect(server.logger.has('error', /disk on fire/)).toBe(true);
    messages.failing = false;
    expect(
      (await alice.client.send({ content: 'kept', to: bob.session.userID })).ok,
    ).toBe(true);
    await bob.client.waitFor('private message', (m) => m.content === 'kept');
    expect(bob.client.all('private message').map((m) => m.content)).toEqual([
      'kept',
    ]);
    const replay = (await pool.connect({ sessionID: bob.session.sessionID }))
      .users;
    expect(
      replay
        .find((u) => u.userID === alice.session.userID)
        ?.messages.map((m) => m.content),
    ).toEqual(['kept']);
  });

  it('handles messages sent while the connection sequence is still storing the session', async () => {
    const sessions = new GatedSessionStore();
    server = await startServer({}, { stores: testStores(sessions) });
    const alice = await pool.connect({ username: 'alice' });
    // carol's connection will wait in "store the session" (the guide's await before handlers)...
    sessions.saves.close();
    const carol = pool.open({ username: 'carol' });
    const ack = await carol.send({
      content: 'early bird',
      to: alice.session.userID,
    });
    // ...yet her message is handled meanwhile: acked and delivered before her session exists.
    expect(ack).toMatchObject({ ok: true, message: { content: 'early bird' } });
    expect(await alice.client.waitFor('private message')).toMatchObject({
      content: 'early bird',
    });
    expect(carol.all('session')).toEqual([]);
    sessions.saves.open();
    const users = await carol.waitFor('users');
    expect(
      users
        .find((u) => u.userID === alice.session.userID)
        ?.messages.map((m) => m.content),
    ).toEqual(['early bird']);
  });
});
