import {
  startRedisCluster,
  type RedisClusterProcess,
} from '@chat/test-support';
import { RedisConnection } from '../shared/redis/redis-connection';
import {
  ClientPool,
  eventually,
  startServer,
  type ConnectedUser,
  type TestServer,
} from '../testing/chat-test-kit';
import { createApp } from './create-app';

describe('REDIS_CLUSTER_NODES at start', () => {
  it('refuses to start when no node of the cluster can be reached, in one line naming REDIS_CLUSTER_NODES', async () => {
    const attempt = createApp(
      { STORE: 'redis', REDIS_CLUSTER_NODES: '127.0.0.1:1,127.0.0.1:2' },
      { logger: false },
    );
    await expect(attempt).rejects.toThrow(
      /^cannot reach the Redis Cluster of 127\.0\.0\.1:1,127\.0\.0\.1:2 \(REDIS_CLUSTER_NODES\): .+$/,
    );
  });
});

describe('REDIS_CLUSTER_NODES with a password (redis://:password@host:port)', () => {
  let cluster: RedisClusterProcess;
  const pool = new ClientPool(() => '');
  const nodes: TestServer[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster(3, { password: 's3cret' });
  }, 30_000);

  afterAll(async () => {
    pool.closeAll();
    await Promise.all(nodes.map((node) => node.app.close()));
    await cluster?.stop();
  });

  const withPassword = (password: string) => {
    const [first, ...rest] = cluster.nodes.split(',');
    return [`redis://:${password}@${first}`, ...rest].join(',');
  };

  it('uses it for every node, and never shows it', async () => {
    const env = {
      STORE: 'redis',
      REDIS_CLUSTER_NODES: withPassword('s3cret'),
      REDIS_PREFIX: 'auth:',
    };
    nodes.push(await startServer(env), await startServer(env));
    const alice = await pool.connect({ username: 'alice' }, nodes[0].url);
    const bob = await pool.connect({ username: 'bob' }, nodes[1].url);
    await alice.client.send({ content: 'hi', to: bob.session.userID });
    await bob.client.waitFor('private message', (m) => m.content === 'hi');
    expect((await fetch(`${nodes[0].url}/readyz`)).status).toBe(200);
    expect(
      nodes[0].logger.lines.some((line) => line.message.includes('s3cret')),
    ).toBe(false);

    const wrong = createApp(
      { STORE: 'redis', REDIS_CLUSTER_NODES: withPassword('wrong') },
      { logger: false },
    );
    await expect(wrong).rejects.toThrow(
      /^cannot reach the Redis Cluster of 127\.0\.0\.1:\d+,.* \(REDIS_CLUSTER_NODES\): /,
    );
    await expect(wrong).rejects.not.toThrow(/wrong/);
  });
});

// Two nodes of one deployment on a Redis Cluster of three masters of this run's own. The first
// master holds slots 0-5460: none of the stores' hash tags ({sessions} 12738, {messages} 8959,
// {presence} 15428, {rate} 15320), only some of the adapter's channels.
describe('api nodes on a Redis Cluster (REDIS_CLUSTER_NODES)', () => {
  let cluster: RedisClusterProcess;
  let nodes: TestServer[] = [];
  const pool = new ClientPool(() => nodes[0].url);
  let run = 0;

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 30_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  beforeEach(async () => {
    const env = {
      STORE: 'redis',
      REDIS_CLUSTER_NODES: cluster.nodes,
      REDIS_PREFIX: `cluster${++run}:`,
    };
    nodes = await Promise.all([startServer(env), startServer(env)]);
  });

  afterEach(async () => {
    pool.closeAll();
    await Promise.all(nodes.map((node) => node.app.close()));
    nodes = [];
  });

  it('keeps every group of keys in one slot, delivers across nodes, and is ready on every master', async () => {
    const alice = await pool.connect({ username: 'alice' }, nodes[0].url);
    const bob = await pool.connect({ username: 'bob' }, nodes[1].url);
    expect(
      (await alice.client.send({ content: 'hi', to: bob.session.userID })).ok,
    ).toBe(true);
    await bob.client.waitFor('private message', (m) => m.content === 'hi');

    const store = nodes[0].app.get(RedisConnection);
    expect(store.cluster).toBe(true);
    const keys: string[] = [];
    for (const port of cluster.ports) {
      const master = `127.0.0.1:${port}`;
      const node = (
        store.client as unknown as {
          nodes(role: string): RedisConnection['client'][];
        }
      )
        .nodes('master')
        .find((n) => `${n.options.host}:${n.options.port}` === master);
      keys.push(...((await node?.keys(`cluster${run}:*`)) ?? []));
    }
    expect(keys.length).toBeGreaterThan(0);
    expect(
      keys.every((key) =>
        /^cluster\d+:\{(sessions|messages|presence|rate)\}:/.test(key),
      ),
    ).toBe(true);

    const ready = await fetch(`${nodes[0].url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      details: { redis: { status: 'up' } },
    });
    await nodes[0].logger.waitFor(
      'log',
      /^messages, sessions and presence in the Redis Cluster of 127\.0\.0\.1:\d+,.*keys starting with cluster\d+:$/,
    );
  });

  it("re-syncs a node's sockets once the subscriber of a restarted master is back, and says not ready meanwhile", async () => {
    const alice = await pool.connect({ username: 'alice' }, nodes[0].url);
    // A recipient whose room's channel is on the first master (about one user in three).
    const store = nodes[0].app.get(RedisConnection).client;
    let bob: ConnectedUser | undefined;
    for (let tries = 0; !bob && tries < 30; tries++) {
      const candidate = await pool.connect(
        { username: `bob${tries}` },
        nodes[1].url,
      );
      const slot = Number(
        await store.call(
          'CLUSTER',
          'KEYSLOT',
          `cluster${run}:socket.io#/#${candidate.session.userID}#`,
        ),
      );
      if (slot <= 5460) bob = candidate;
      else candidate.client.close();
    }
    if (!bob) throw new Error('no user with a channel on the first master');
    const bobID = bob.session.userID;
    await alice.client.send({ content: 'before', to: bobID });
    await bob.client.waitFor(
      'private message',
      (m) => m.content === 'before',
      5000,
    );

    await cluster.stopMaster(0);
    // The stores live on the other masters: the send is stored; its broadcast to bob is lost.
    const during = await alice.client.send({ content: 'during', to: bobID });
    expect(during.ok).toBe(true);
    await eventually(
      async () => (await fetch(`${nodes[1].url}/readyz`)).status === 503,
      'bob’s node not ready while a master is away',
    );
    await cluster.startMaster(0);

    // It comes in the `users` bob's socket is sent again.
    await bob.client.waitFor(
      'users',
      (users) =>
        users
          .find((u) => u.userID === alice.session.userID)
          ?.messages.some((m) => m.content === 'during') ?? false,
      15_000,
    );
    await eventually(
      () =>
        nodes.some((node) =>
          node.logger.has('log', /^re-syncing \d+ socket\(s\) from the stores/),
        ),
      'the re-sync logged',
    );
    // Once, not once per failed attempt while the master was away (about every 20 ms).
    const resyncs = nodes
      .flatMap((node) => node.logger.lines)
      .filter((line) => /^re-syncing \d+ socket\(s\)/.test(line.message));
    expect(resyncs.length).toBeLessThanOrEqual(2);
    await eventually(
      async () => (await fetch(`${nodes[1].url}/readyz`)).status === 200,
      'ready again',
      10_000,
    );
    // Live delivery works again.
    await alice.client.send({ content: 'after', to: bobID });
    await bob.client.waitFor(
      'private message',
      (m) => m.content === 'after',
      5000,
    );
  }, 40_000);
});
