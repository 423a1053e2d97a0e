import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ErrorCode } from '@chat/contracts';
import { startRedisServer, type RedisServerProcess } from '@chat/test-support';
import {
  RedisConnection,
  StartupError,
} from '../shared/redis/redis-connection';
import {
  ClientPool,
  eventually,
  startServer,
  type ConnectedUser,
  type TestServer,
} from '../testing/chat-test-kit';
import { createApp } from './create-app';

describe('STORE=redis at start', () => {
  it('refuses to start when Redis cannot be reached, in one line naming REDIS_URL', async () => {
    const attempt = createApp(
      { STORE: 'redis', REDIS_URL: 'redis://127.0.0.1:1' },
      { logger: false },
    );
    await expect(attempt).rejects.toThrow(StartupError);
    await expect(attempt).rejects.toThrow(
      /^cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(REDIS_URL\): connect ECONNREFUSED 127\.0\.0\.1:1$/,
    );
  });

  it('never shows the password of REDIS_URL', async () => {
    const attempt = createApp(
      { STORE: 'redis', REDIS_URL: 'redis://admin:hunter2@127.0.0.1:1/0' },
      { logger: false },
    );
    await expect(attempt).rejects.toThrow(
      /^cannot reach Redis at redis:\/\/admin:\*\*\*@127\.0\.0\.1:1\/0 \(REDIS_URL\)/,
    );
    await expect(attempt).rejects.not.toThrow(/hunter2/);
  });

  describe('against a server that accepts connections but never answers', () => {
    let silent: Server;
    const sockets = new Set<Socket>();

    beforeAll(async () => {
      silent = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) =>
        silent.listen(0, '127.0.0.1', resolve),
      );
    });

    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    it('gives up after a bounded time', async () => {
      const { port } = silent.address() as AddressInfo;
      const started = Date.now();
      await expect(
        RedisConnection.connect(
          { redisUrl: `redis://127.0.0.1:${port}`, redisPrefix: 'x:' },
          300,
        ),
      ).rejects.toThrow(
        new RegExp(
          `cannot reach Redis at redis://127\\.0\\.0\\.1:${port} \\(REDIS_URL\\): no answer within 300 ms`,
        ),
      );
      expect(Date.now() - started).toBeLessThan(2000);
    });
  });
});

// Redis stops under two running nodes, then comes back (append-only file: nothing is lost).
describe('Redis restarting under running nodes', () => {
  let redis: RedisServerProcess;
  let nodes: TestServer[] = [];
  const pool = new ClientPool(() => nodes[0].url);

  beforeEach(async () => {
    redis = await startRedisServer({ appendonly: true });
    const env = { STORE: 'redis', REDIS_URL: redis.url, REDIS_PREFIX: 'chat:' };
    nodes = await Promise.all([startServer(env), startServer(env)]);
  });

  afterEach(async () => {
    pool.closeAll();
    await Promise.all(nodes.map((node) => node.app.close()));
    nodes = [];
    await redis.stop();
  });

  it('answers sends and resumes during the outage with "unavailable", at once, then recovers by itself', async () => {
    const alice = await pool.connect({ username: 'alice' }, nodes[0].url);
    const bob = await pool.connect({ username: 'bob' }, nodes[1].url);
    const before = await alice.client.send({
      content: 'before',
      to: bob.session.userID,
    });
    expect(before.ok).toBe(true);
    await bob.client.waitFor('private message', (m) => m.content === 'before');

    await redis.stop();
    const started = Date.now();
    expect(
      await alice.client.send({ content: 'during', to: bob.session.userID }),
    ).toEqual({ ok: false, error: ErrorCode.Unavailable });
    expect(
      await alice.client.fetch({ userID: bob.session.userID, before: 'Z' }),
    ).toEqual({ ok: false, error: ErrorCode.Unavailable });
    // Far below the client's ack timeout: the store fails fast instead of queueing.
    expect(Date.now() - started).toBeLessThan(1000);
    const refused = await pool.refused({ sessionID: bob.session.sessionID });
    expect(refused.message).toBe(ErrorCode.Unavailable);
    // Connected sockets stay connected.
    expect(alice.client.socket.connected && bob.client.socket.connected).toBe(
      true,
    );

    await redis.restart();
    // The nodes reconnect on their own: a send retried for a while goes through again...
    let after = await alice.client.send({
      content: 'after',
      to: bob.session.userID,
    });
    for (const deadline = Date.now() + 10_000; !after.ok; ) {
      if (Date.now() > deadline) throw new Error('never recovered');
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await alice.client.send({
        content: 'after',
        to: bob.session.userID,
      });
    }
    // ...and reaches bob on the other node: live, or by the re-sync once that node's subscriber
    // is back (whichever of its clients reconnects first, nothing is lost).
    await eventually(
      () => holds(bob, alice, 'after'),
      'bob has "after"',
      10_000,
    );
    expect(
      bob.client.all('private message').filter((m) => m.content === 'before'),
    ).toHaveLength(1);
    // Everything written before the outage is still there (append-only file).
    const bobAgain = await pool.connect(
      { sessionID: bob.session.sessionID },
      nodes[0].url,
    );
    expect(
      bobAgain.users
        .find((u) => u.userID === alice.session.userID)
        ?.messages.map((m) => m.content),
    ).toEqual(['before', 'after']);
    // Presence came back too: alice is shown online, and leaving is announced across nodes.
    expect(
      bobAgain.users.find((u) => u.userID === alice.session.userID)?.connected,
    ).toBe(true);
    alice.client.close();
    await bob.client.waitFor(
      'user disconnected',
      (id) => id === alice.session.userID,
      5000,
    );
    // The loss and the return were logged (once per outage), nothing crashed.
    await eventually(
      () => nodes.some((node) => node.logger.has('log', /^Redis is back at/)),
      'the return of Redis logged',
    );
    const lines = nodes.flatMap((node) => node.logger.lines);
    expect(
      lines.filter((l) => /^lost Redis at .* reconnecting$/.test(l.message)),
    ).toHaveLength(2);
  });

  // Its subscriber waits 3 s to reconnect, then re-syncs: more than Jest's default 5 s under load.
  it("re-syncs a node's sockets once its subscriber is back: a message stored while it was away reaches them", async () => {
    const alice = await pool.connect({ username: 'alice' }, nodes[0].url);
    const bob = await pool.connect({ username: 'bob' }, nodes[1].url);
    await alice.client.send({ content: 'before', to: bob.session.userID });
    await bob.client.waitFor('private message', (m) => m.content === 'before');

    // bob's node gets its subscriber back well after the stores (a node cut off for longer):
    // what is published meanwhile never reaches it.
    const [subscriber] = nodes[1].app.get(RedisConnection).subscribers;
    subscriber.options.retryStrategy = () => 3000;
    await redis.restart();
    let during = await alice.client.send({
      content: 'during',
      to: bob.session.userID,
    });
    for (const deadline = Date.now() + 10_000; !during.ok; ) {
      if (Date.now() > deadline) throw new Error('never recovered');
      await new Promise((resolve) => setTimeout(resolve, 100));
      during = await alice.client.send({
        content: 'during',
        to: bob.session.userID,
      });
    }
    expect(subscriber.status).not.toBe('ready');

    // It comes in the `users` bob's socket is sent again, not live.
    await bob.client.waitFor(
      'users',
      (users) =>
        users
          .find((u) => u.userID === alice.session.userID)
          ?.messages.some((m) => m.content === 'during') ?? false,
      10_000,
    );
    expect(bob.client.all('private message').map((m) => m.content)).toEqual([
      'before',
    ]);
    // Nest's static loggers go to the app created last in this process: look in every node's.
    await eventually(
      () =>
        nodes.some((node) =>
          node.logger.has('log', /^re-syncing 1 socket\(s\) from the stores/),
        ),
      'the re-sync logged',
    );
    // Live delivery works again.
    await alice.client.send({ content: 'after', to: bob.session.userID });
    await bob.client.waitFor('private message', (m) => m.content === 'after');
  }, 20_000);
  // As above; and meanwhile the node that stayed reads that it alone subscribes to a room.
  it('announces its rooms again once its subscriber is back: another node that took a room for its own publishes to it again', async () => {
    const alice = await pool.connect({ username: 'alice' }, nodes[0].url);
    const bob = await pool.connect({ username: 'bob' }, nodes[0].url);
    const aliceThere = await pool.connect(
      { sessionID: alice.session.sessionID },
      nodes[1].url,
    );
    await alice.client.send({ content: 'before', to: bob.session.userID });
    await aliceThere.client.waitFor(
      'private message',
      (m) => m.content === 'before',
    );

    const [subscriber] = nodes[1].app.get(RedisConnection).subscribers;
    subscriber.options.retryStrategy = () => 3000;
    await redis.restart();
    // Node one is back first: its copies for alice's room reach only itself (SPUBLISH says 1),
    // so it stops publishing them.
    const send = async (content: string) => {
      for (const deadline = Date.now() + 10_000; ; ) {
        const ack = await alice.client.send({
          content,
          to: bob.session.userID,
        });
        if (ack.ok) return ack.message;
        if (Date.now() > deadline) throw new Error('never recovered');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await send('during 1');
    await send('during 2');
    expect(subscriber.status).not.toBe('ready');

    // Node two re-syncs once it is back (and has announced alice's room)...
    await aliceThere.client.waitFor(
      'users',
      (users) =>
        users
          .find((u) => u.userID === bob.session.userID)
          ?.messages.some((m) => m.content === 'during 2') ?? false,
      10_000,
    );
    // ...and what alice sends now reaches it live.
    const after = await send('after');
    await aliceThere.client.waitFor(
      'private message',
      (m) => m.id === after.id,
    );
  }, 20_000);
});

// A node that stalls (its subscriber connection unread for longer than a join waits for acks).
describe('a node acking a join late', () => {
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let nodes: TestServer[] = [];
  const pool = new ClientPool(() => nodes[0].url);

  beforeEach(async () => {
    redis = await startRedisServer();
    const env = { STORE: 'redis', REDIS_URL: redis.url, REDIS_PREFIX: 'late:' };
    nodes = await Promise.all([startServer(env), startServer(env)]);
  });

  afterEach(async () => {
    pool.closeAll();
    await Promise.all(nodes.map((node) => node.app.close()));
    await redis.stop();
  });

  it('re-syncs the tab that joined meanwhile: what the other node did not publish reaches it', async () => {
    const alice = await pool.connect({ username: 'alice' }, nodes[0].url);
    const bob = await pool.connect({ username: 'bob' }, nodes[0].url);
    // alice's room is node one's alone: SPUBLISH answers 1, and her own copies stop.
    await alice.client.send({ content: 'first', to: bob.session.userID });
    await alice.client.send({ content: 'second', to: bob.session.userID });

    // Node one stops reading its subscriber connection: it hears no hello, so acks none.
    const [subscriber] = nodes[0].app.get(RedisConnection).subscribers;
    subscriber.stream.pause();
    const aliceThere = pool.open(
      { sessionID: alice.session.sessionID },
      nodes[1].url,
    );
    try {
      // A tab of alice's on node two: its join goes on without node one's ack (after 2 s).
      await aliceThere.waitFor('users', undefined, 5000);
      const during = await alice.client.send({
        content: 'during',
        to: bob.session.userID,
      });
      expect(during.ok).toBe(true);
      // Positive control first (bob, on node one, has it), then: not live on node two.
      await bob.client.waitFor(
        'private message',
        (m) => m.content === 'during',
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(aliceThere.all('private message')).toEqual([]);
    } finally {
      subscriber.stream.resume();
    }

    // Node one reads again, hears the hello and acks it: node two re-syncs alice's tab there...
    await aliceThere.waitFor(
      'users',
      (users) =>
        users
          .find((u) => u.userID === bob.session.userID)
          ?.messages.some((m) => m.content === 'during') ?? false,
      10_000,
    );
    // ...and alice's copies reach it live from then on.
    const after = await alice.client.send({
      content: 'after',
      to: bob.session.userID,
    });
    expect(after.ok).toBe(true);
    await aliceThere.waitFor('private message', (m) => m.content === 'after');
  }, 20_000);
});

/** Whether `user` got `content` from `from`: live, or in a `users` replay. */
function holds(user: ConnectedUser, from: ConnectedUser, content: string) {
  return (
    user.client.all('private message').some((m) => m.content === content) ||
    user.client
      .all('users')
      .some((users) =>
        users
          .find((u) => u.userID === from.session.userID)
          ?.messages.some((m) => m.content === content),
      )
  );
}
