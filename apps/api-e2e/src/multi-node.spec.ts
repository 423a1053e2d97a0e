import { io } from 'socket.io-client';
import type { SessionInfo } from '@chat/contracts';
import {
  ClientPool,
  eventually,
  startApi,
  startRedisCluster,
  startRedisServer,
  type ApiProcess,
  type ConnectedUser,
} from '@chat/test-support';
import { redisBackends, type RedisBackend } from './redis-backends';

/**
 * Scale-out at the process level: three real api processes (the production build) share rooms,
 * presence and history through a real Redis, or a Redis Cluster of three masters
 * (REDIS_CLUSTER_NODES); clients are spread over them.
 */

/** The bound for showing the users of a dead node offline. */
const GHOST_BOUND_MS = 15_000;
/** How long a negative is given to show up, once a positive control has arrived. */
const SETTLE_MS = 500;

const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

const backends = redisBackends('e2e');

describe.each(backends)('several api nodes on $name', (backend) => {
  let redis: RedisBackend;
  let nodes: ApiProcess[] = [];
  const clients = new ClientPool(() => nodes[0].url);

  beforeAll(async () => {
    redis = await backend.start();
  }, 30_000);

  afterAll(async () => {
    await redis?.stop();
  });

  afterEach(async () => {
    clients.closeAll();
    await Promise.all(nodes.map((node) => node.stop()));
    nodes = [];
  });

  /** Starts `count` nodes on the shared Redis, with a key prefix of their own per test. */
  let run = 0;
  async function startNodes(count: number, env: Record<string, string> = {}) {
    const shared = redis.env(++run);
    nodes = await Promise.all(
      Array.from({ length: count }, () =>
        startApi({ STORE: 'redis', ...shared, ...env }),
      ),
    );
    return nodes;
  }

  const on = (node: ApiProcess, auth: unknown): Promise<ConnectedUser> =>
    clients.connect(auth, node.url);
  const resume = (node: ApiProcess, session: SessionInfo) =>
    on(node, { sessionID: session.sessionID });

  it('lists the users of every node and delivers to every tab of both sides, wherever they are', async () => {
    const [one, two, three] = await startNodes(3);
    const alice = await on(one, { username: 'alice' });
    const bob = await on(two, { username: 'bob' });
    const bobTab2 = await resume(three, bob.session);
    const aliceTab2 = await resume(three, alice.session);

    // A user joining on any node sees everyone of every node.
    const carol = await on(two, { username: 'carol' });
    const names = carol.users.map((user) => user.username).sort();
    expect(names).toEqual(['alice', 'bob', 'carol']);
    expect(carol.users.every((user) => user.connected)).toBe(true);

    const ack = await alice.client.send({
      content: 'hello from node one',
      to: bob.session.userID,
    });
    expect(ack.ok).toBe(true);
    const delivered = (message: { content: string }) =>
      message.content === 'hello from node one';
    await bob.client.waitFor('private message', delivered);
    await bobTab2.client.waitFor('private message', delivered);
    await aliceTab2.client.waitFor('private message', delivered);

    // Positive control first: a later message reaches alice's first tab; the echo of her own never did.
    const reply = await bobTab2.client.send({
      content: 'reply',
      to: alice.session.userID,
    });
    expect(reply.ok).toBe(true);
    await alice.client.waitFor(
      'private message',
      (message) => message.content === 'reply',
    );
    expect(
      alice.client.all('private message').map((message) => message.content),
    ).toEqual(['reply']);
    expect(carol.client.all('private message')).toEqual([]);
  });

  it('announces a user offline once, when their last tab on any node closes', async () => {
    const [one, two, three] = await startNodes(3);
    const carol = await on(one, { username: 'carol' });
    const bob = await on(two, { username: 'bob' });
    const bobTab2 = await resume(three, bob.session);
    const offline = () =>
      carol.client
        .all('user disconnected')
        .filter((id) => id === bob.session.userID);

    bob.client.close();
    // Control: bob's other tab, on another node, still talks to carol after the first one closed.
    await bobTab2.client.send({
      content: 'still here',
      to: carol.session.userID,
    });
    await carol.client.waitFor(
      'private message',
      (message) => message.content === 'still here',
    );
    await settle();
    expect(offline()).toEqual([]);

    bobTab2.client.close();
    await carol.client.waitFor(
      'user disconnected',
      (id) => id === bob.session.userID,
    );
    await settle();
    expect(offline()).toHaveLength(1);
    const later = await on(three, { username: 'dave' });
    expect(
      later.users.find((user) => user.userID === bob.session.userID)?.connected,
    ).toBe(false);
  });

  it('shows the users of a killed node offline within 15 s, but not those who reconnected elsewhere', async () => {
    const [one, two, three] = await startNodes(3);
    const observer = await on(one, { username: 'frank' });
    const dave = await on(three, { username: 'dave' });
    const erin = await on(three, { username: 'erin' });

    const killedAt = Date.now();
    await three.stop('SIGKILL'); // no disconnect handler runs anywhere
    // erin's client reconnects to another node, as a load balancer would send it.
    const erinAgain = await resume(two, erin.session);
    expect(erinAgain.session.userID).toBe(erin.session.userID);

    await observer.client.waitFor(
      'user disconnected',
      (id) => id === dave.session.userID,
      GHOST_BOUND_MS,
    );
    expect(Date.now() - killedAt).toBeLessThanOrEqual(GHOST_BOUND_MS);
    await settle();
    expect(observer.client.all('user disconnected')).not.toContain(
      erin.session.userID,
    );

    const fresh = await on(one, { username: 'grace' });
    const seen = new Map(
      fresh.users.map((user) => [user.userID, user.connected]),
    );
    expect(seen.get(dave.session.userID)).toBe(false);
    expect(seen.get(erin.session.userID)).toBe(true);
    expect(seen.get(observer.session.userID)).toBe(true);
  });

  it('refuses to start without Redis, saying why, with a non-zero exit', async () => {
    const unreachable: Record<string, string> =
      backend === backends[0]
        ? { REDIS_URL: 'redis://127.0.0.1:1' }
        : { REDIS_CLUSTER_NODES: '127.0.0.1:1,127.0.0.1:2' };
    await expect(
      startApi({ ...redis.env(++run), STORE: 'redis', ...unreachable }),
    ).rejects.toThrow(
      /exited with code 1[\s\S]*cannot reach (Redis at|the Redis Cluster of) .* \(REDIS_(URL|CLUSTER_NODES)\)/,
    );
  });

  it('serves one port from several worker processes with sticky sessions (CLUSTER_WORKERS)', async () => {
    const [cluster] = await startNodes(1, {
      CLUSTER_WORKERS: '3',
      METRICS_PORT: '0',
    });
    const page = await fetch(cluster.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<chat-root');

    // Default transports: HTTP long-polling first, then the upgrade; only sticky sessions make it work.
    const open = (auth: object) =>
      io(cluster.url, { auth, reconnection: false, forceNew: true });
    const alice = open({ username: 'alice' });
    const bob = open({ username: 'bob' });
    try {
      // Listen before awaiting anything: events of one client may come before the other's.
      const bobSession = new Promise<SessionInfo>((resolve) =>
        bob.once('session', resolve),
      );
      const aliceUsers = new Promise((resolve) => alice.once('users', resolve));
      const received = new Promise<{ content: string }>((resolve) =>
        bob.once('private message', resolve),
      );
      const { userID: bobID } = await bobSession;
      await aliceUsers;
      const ack = await alice.timeout(5000).emitWithAck('private message', {
        content: 'through the cluster',
        to: bobID,
      });
      expect(ack).toMatchObject({ ok: true });
      expect((await received).content).toBe('through the cluster');
      await eventually(
        () => alice.io.engine.transport.name === 'websocket',
        'the upgrade',
        5000,
      );
      // The primary serves every worker's metrics together (METRICS_PORT).
      const metricsUrl = /metrics of every worker at (http:\/\/[^\s"]+)/.exec(
        cluster.output(),
      )?.[1];
      expect(metricsUrl).toBeDefined();
      const scrape = await (await fetch(metricsUrl ?? '')).text();
      expect(scrape).toMatch(/^chat_messages_stored_total 1$/m);
      expect(scrape).toMatch(/^chat_connected_sockets 2$/m);
    } finally {
      alice.close();
      bob.close();
    }
  });
});

describe('several api nodes reaching Redis over TLS (rediss://)', () => {
  let nodes: ApiProcess[] = [];
  const clients = new ClientPool(() => nodes[0].url);
  let stopRedis: (() => Promise<void>) | undefined;

  afterEach(async () => {
    clients.closeAll();
    await Promise.all(nodes.map((node) => node.stop()));
    nodes = [];
    await stopRedis?.();
    stopRedis = undefined;
  });

  /** Two nodes on that Redis, trusting its CA the standard way; a message crosses between them. */
  async function crossOver(env: Record<string, string>, caFile?: string) {
    nodes = await Promise.all(
      [1, 2].map(() =>
        startApi({
          STORE: 'redis',
          REDIS_PREFIX: 'tls:',
          NODE_EXTRA_CA_CERTS: caFile ?? '',
          ...env,
        }),
      ),
    );
    const alice = await clients.connect({ username: 'alice' }, nodes[0].url);
    const bob = await clients.connect({ username: 'bob' }, nodes[1].url);
    const ack = await alice.client.send({
      content: 'encrypted on the way',
      to: bob.session.userID,
    });
    expect(ack.ok).toBe(true);
    await bob.client.waitFor(
      'private message',
      (message) => message.content === 'encrypted on the way',
    );
    for (const node of nodes)
      expect((await fetch(`${node.url}/readyz`)).status).toBe(200);
  }

  it('on one Redis (REDIS_URL=rediss://…)', async () => {
    const redis = await startRedisServer({ tls: true });
    stopRedis = () => redis.stop();
    expect(redis.url).toMatch(/^rediss:\/\//);
    await crossOver({ REDIS_URL: redis.url }, redis.caFile);
  });

  it('on a Redis Cluster (REDIS_CLUSTER_NODES=rediss://…)', async () => {
    const cluster = await startRedisCluster(3, { tls: true });
    stopRedis = () => cluster.stop();
    expect(cluster.nodes).toMatch(/^rediss:\/\//);
    await crossOver({ REDIS_CLUSTER_NODES: cluster.nodes }, cluster.caFile);
  });

  it('refuses to start when it cannot trust the certificate, saying why', async () => {
    const redis = await startRedisServer({ tls: true });
    stopRedis = () => redis.stop();
    await expect(
      startApi({ STORE: 'redis', REDIS_URL: redis.url }),
    ).rejects.toThrow(
      /exited with code 1[\s\S]*cannot reach Redis at .*certificate/i,
    );
  });
});

describe('Redis restarting under running nodes', () => {
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let nodes: ApiProcess[] = [];
  const clients = new ClientPool(() => nodes[0].url);

  afterEach(async () => {
    clients.closeAll();
    await Promise.all(nodes.map((node) => node.stop()));
    nodes = [];
    await redis?.stop();
  });

  it('answers sends during the outage with unavailable, then recovers by itself', async () => {
    redis = await startRedisServer({ appendonly: true });
    const env = { STORE: 'redis', REDIS_URL: redis.url, REDIS_PREFIX: 'chat:' };
    nodes = await Promise.all([startApi(env), startApi(env)]);
    const alice = await clients.connect({ username: 'alice' }, nodes[0].url);
    const bob = await clients.connect({ username: 'bob' }, nodes[1].url);
    expect(
      (await alice.client.send({ content: 'before', to: bob.session.userID }))
        .ok,
    ).toBe(true);
    await bob.client.waitFor(
      'private message',
      (message) => message.content === 'before',
    );

    await redis.stop();
    const during = await alice.client.send({
      content: 'during',
      to: bob.session.userID,
    });
    expect(during).toEqual({ ok: false, error: 'unavailable' });

    await redis.restart();
    // The nodes reconnect on their own: a send retried now and then goes through again.
    const sendAfter = () =>
      alice.client
        .send({ content: 'after', to: bob.session.userID })
        .catch(() => ({ ok: false as const, error: 'no ack' }));
    let after = await sendAfter();
    for (
      const deadline = Date.now() + 15_000;
      !after.ok && Date.now() < deadline;

    ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      after = await sendAfter();
    }
    expect(after.ok).toBe(true);
    await bob.client.waitFor(
      'private message',
      (message) => message.content === 'after',
      10_000,
    );
    expect(
      bob.client.all('private message').map((message) => message.content),
    ).not.toContain('during');
    // Both processes lived through it.
    for (const node of nodes) expect(process.kill(node.pid, 0)).toBe(true);
  });
});
