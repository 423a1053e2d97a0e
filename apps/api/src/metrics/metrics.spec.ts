import { ErrorCode } from '@chat/contracts';
import { redisForTests, type TestRedis } from '@chat/test-support';
import {
  ClientPool,
  eventually,
  say,
  startServer,
  type TestServer,
} from '../testing/chat-test-kit';
import { MetricsServer } from './metrics.module';

/** The value of one sample of a Prometheus text scrape, e.g. `chat_x_total{result="ok"}`. */
function sample(scrape: string, series: string): number | undefined {
  const line = scrape
    .split('\n')
    .find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const scrapeOf = async (server: TestServer) => {
  const url = server.app.get(MetricsServer).url;
  if (!url) throw new Error('metrics are not served');
  const response = await fetch(url);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
};

describe('metrics (METRICS_PORT)', () => {
  let servers: TestServer[] = [];
  const pool = new ClientPool(() => servers[0].url);

  afterEach(async () => {
    pool.closeAll();
    await Promise.all(servers.map((server) => server.app.close()));
    servers = [];
  });

  it('are not served unless METRICS_PORT is set', async () => {
    servers = [await startServer()];
    expect(servers[0].app.get(MetricsServer).url).toBeUndefined();
  });

  it('count sockets, refused handshakes, messages stored and delivered, acks by result and store write times; on loopback by default', async () => {
    servers = [
      await startServer({
        STORE: 'sqlite',
        SQLITE_PATH: ':memory:',
        METRICS_PORT: '0',
      }),
    ];
    const [server] = servers;
    expect(server.app.get(MetricsServer).url).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/metrics$/,
    );
    const alice = await pool.connect({ username: 'alice' });
    const bob = await pool.connect({ username: 'bob' });
    // bob has a second tab: one message, two deliveries.
    await pool.connect({ sessionID: bob.session.sessionID });
    await pool.refused({ username: '' });
    await say(alice, bob, 'hello');
    expect(
      await alice.client.send({ content: ' ', to: bob.session.userID }),
    ).toEqual({
      ok: false,
      error: ErrorCode.InvalidPayload,
    });
    const other = await fetch(
      `${server.url}/socket.io/?EIO=4&transport=polling`,
      { headers: { Origin: 'https://evil.example' } },
    );
    expect(other.status).toBe(403);

    const scrape = await scrapeOf(server);
    expect(sample(scrape, 'chat_connected_sockets')).toBe(3);
    expect(sample(scrape, 'chat_transports')).toBe(3);
    expect(
      sample(
        scrape,
        'chat_handshakes_refused_total{reason="invalid username"}',
      ),
    ).toBe(1);
    expect(
      sample(
        scrape,
        'chat_handshakes_refused_total{reason="forbidden origin"}',
      ),
    ).toBe(1);
    expect(sample(scrape, 'chat_messages_stored_total')).toBe(1);
    await eventually(
      async () =>
        sample(await scrapeOf(server), 'chat_messages_delivered_total') === 2,
      "both of bob's tabs counted",
    );
    expect(sample(scrape, 'chat_message_acks_total{result="ok"}')).toBe(1);
    expect(
      sample(scrape, 'chat_message_acks_total{result="invalid payload"}'),
    ).toBe(1);
    expect(sample(scrape, 'chat_store_write_seconds_count')).toBe(1);
    expect(scrape).toContain('nodejs_eventloop_lag_seconds');
    expect(scrape).toContain('process_resident_memory_bytes');
  });

  describe('with Redis', () => {
    let redis: TestRedis;
    beforeAll(async () => {
      redis = await redisForTests();
    });
    afterAll(() => redis.stop());

    it('count the messages a node delivers from another node', async () => {
      const env = {
        STORE: 'redis',
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
        METRICS_PORT: '0',
      };
      servers = [await startServer(env), await startServer(env)];
      const alice = await pool.connect({ username: 'alice' }, servers[0].url);
      const bob = await pool.connect({ username: 'bob' }, servers[1].url);
      await say(alice, bob, 'across nodes');
      await bob.client.waitFor('private message');
      const scrape = await scrapeOf(servers[1]);
      expect(sample(scrape, 'chat_resynced_sockets_total')).toBe(0);
      expect(sample(scrape, 'chat_messages_delivered_total')).toBe(1);
    });
  });
});
