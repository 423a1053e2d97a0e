import { resolve } from 'node:path';
import { ConfigValidationError, redactUrl, validateEnv } from './app-config';

describe('validateEnv', () => {
  it('applies defaults for development', () => {
    expect(validateEnv({}, '/repo')).toEqual({
      nodeEnv: 'development',
      port: 3000,
      host: undefined,
      corsOrigins: ['http://localhost:4200'],
      store: 'sqlite',
      sqlitePath: resolve('/repo', 'data/chat.sqlite'),
      historyLimit: 50,
      sessionTtlMs: 7 * 24 * 3600 * 1000,
      sessionPruneIntervalMs: 3600 * 1000,
      webDist: resolve('/repo', 'dist/apps/web/browser'),
      maxPayloadBytes: 32 * 1024,
      metricsPort: undefined,
      metricsHost: '127.0.0.1',
      rateLimit: { perSecond: 20, burst: 40 },
      newSessionLimit: { perSecond: 0.5, burst: 30 },
      maxConnectionsPerAddress: 500,
      trustProxy: false,
      databaseUrl: 'postgres://localhost:5432/chat',
      postgresPool: {
        size: 10,
        connectTimeoutMs: 2000,
        queryTimeoutMs: 5000,
        idleTimeoutMs: 10_000,
      },
      useRedis: false,
      redisUrl: 'redis://127.0.0.1:6379',
      redisPrefix: 'chat:',
      presenceNodeTimeoutMs: 10_000,
      clusterWorkers: 1,
      logLevel: 'info',
    });
  });

  it('needs no CORS origin in production (same origin)', () => {
    expect(validateEnv({ NODE_ENV: 'production' }).corsOrigins).toEqual([]);
  });

  it('reads every variable', () => {
    expect(
      validateEnv(
        {
          NODE_ENV: 'production',
          PORT: '0',
          HOST: '127.0.0.1',
          CORS_ORIGIN: 'https://chat.example.com, http://localhost:4200',
          STORE: 'memory',
          SQLITE_PATH: 'var/db.sqlite',
          HISTORY_LIMIT: '20',
          SESSION_TTL: '12h',
          SESSION_PRUNE_INTERVAL: '90s',
          WEB_DIST: '/srv/web',
          MAX_PAYLOAD_BYTES: '65536',
          METRICS_PORT: '9464',
          METRICS_HOST: '0.0.0.0',
          RATE_LIMIT_PER_SECOND: '0.5',
          RATE_LIMIT_BURST: '10',
          NEW_SESSIONS_PER_MINUTE: '120',
          MAX_CONNECTIONS_PER_ADDRESS: '50',
          TRUST_PROXY: 'true',
          DATABASE_URL: 'postgresql://chat:secret@db.example.com:5433/chat_eu',
          PG_POOL_SIZE: '25',
          PG_CONNECT_TIMEOUT: '5s',
          PG_QUERY_TIMEOUT: '30',
          PG_IDLE_TIMEOUT: '1m',
          REDIS_URL: 'rediss://user:secret@redis.example.com:6380/2',
          REDIS_CLUSTER_NODES:
            'redis://chat:p%40ss@10.0.0.1:7000, redis-2.internal:7001,[::1]:7002',
          REDIS_PREFIX: 'chat-eu:',
          PRESENCE_NODE_TIMEOUT: '20s',
          CLUSTER_WORKERS: '1',
          LOG_LEVEL: 'debug',
        },
        '/repo',
      ),
    ).toEqual({
      nodeEnv: 'production',
      port: 0,
      host: '127.0.0.1',
      corsOrigins: ['https://chat.example.com', 'http://localhost:4200'],
      store: 'memory',
      sqlitePath: resolve('/repo', 'var/db.sqlite'),
      historyLimit: 20,
      sessionTtlMs: 12 * 3600 * 1000,
      sessionPruneIntervalMs: 90 * 1000,
      webDist: '/srv/web',
      maxPayloadBytes: 65536,
      metricsPort: 9464,
      metricsHost: '0.0.0.0',
      rateLimit: { perSecond: 0.5, burst: 10 },
      newSessionLimit: { perSecond: 2, burst: 120 },
      maxConnectionsPerAddress: 50,
      trustProxy: true,
      databaseUrl: 'postgresql://chat:secret@db.example.com:5433/chat_eu',
      postgresPool: {
        size: 25,
        connectTimeoutMs: 5000,
        queryTimeoutMs: 30_000,
        idleTimeoutMs: 60_000,
      },
      useRedis: false,
      redisUrl: 'rediss://user:secret@redis.example.com:6380/2',
      redisClusterNodes: [
        { host: '10.0.0.1', port: 7000, username: 'chat', password: 'p@ss' },
        { host: 'redis-2.internal', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      redisPrefix: 'chat-eu:',
      presenceNodeTimeoutMs: 20_000,
      clusterWorkers: 1,
      logLevel: 'debug',
    });
  });

  it('uses Redis with STORE=redis, and with STORE=postgres when REDIS_URL is set', () => {
    const url = 'redis://127.0.0.1:6380';
    expect(validateEnv({ STORE: 'redis' }).useRedis).toBe(true);
    expect(validateEnv({ STORE: 'postgres' }).useRedis).toBe(false);
    expect(validateEnv({ STORE: 'postgres', REDIS_URL: url }).useRedis).toBe(
      true,
    );
    // Set to '' means unset.
    expect(validateEnv({ STORE: 'postgres', REDIS_URL: '' }).useRedis).toBe(
      false,
    );
    expect(validateEnv({ STORE: 'sqlite', REDIS_URL: url }).useRedis).toBe(
      false,
    );
    expect(
      validateEnv({ STORE: 'postgres', REDIS_CLUSTER_NODES: '10.0.0.1:7000' })
        .useRedis,
    ).toBe(true);
  });

  it('runs several cluster workers only with Redis, saying why otherwise', () => {
    expect(
      validateEnv({ STORE: 'redis', CLUSTER_WORKERS: '3' }).clusterWorkers,
    ).toBe(3);
    expect(
      validateEnv({
        STORE: 'postgres',
        REDIS_URL: 'redis://127.0.0.1:6379',
        CLUSTER_WORKERS: '3',
      }).clusterWorkers,
    ).toBe(3);
    for (const store of [undefined, 'sqlite', 'memory', 'postgres']) {
      expect(() => validateEnv({ STORE: store, CLUSTER_WORKERS: '3' })).toThrow(
        /CLUSTER_WORKERS: more than 1 worker needs Redis.*STORE=redis, or STORE=postgres with REDIS_URL.* \(got "3"\)/,
      );
    }
  });

  it('never shows the password of a bad DATABASE_URL', () => {
    expect(() =>
      validateEnv({ DATABASE_URL: 'mysql://chat:hunter2@db.example.com/chat' }),
    ).toThrow(
      /DATABASE_URL: must be a postgres:\/\/ .+ \(got "mysql:\/\/chat:\*\*\*@db\.example\.com\/chat"\)/,
    );
  });

  it('reads rediss:// cluster nodes as reached over TLS', () => {
    expect(
      validateEnv({
        REDIS_CLUSTER_NODES: 'rediss://:pw@10.0.0.1:7000,10.0.0.2:7000',
      }).redisClusterNodes,
    ).toEqual([
      { host: '10.0.0.1', port: 7000, password: 'pw', tls: true },
      { host: '10.0.0.2', port: 7000 },
    ]);
    expect(() =>
      validateEnv({ REDIS_CLUSTER_NODES: 'rediss://10.0.0.1' }),
    ).toThrow(/REDIS_CLUSTER_NODES: .*rediss:\/\/ for TLS/);
  });

  it('never shows the password of a bad REDIS_CLUSTER_NODES', () => {
    expect(() =>
      validateEnv({ REDIS_CLUSTER_NODES: 'redis://:hunter2@10.0.0.1:7000,x' }),
    ).toThrow(
      /REDIS_CLUSTER_NODES: .+ \(got "redis:\/\/:\*\*\*@10\.0\.0\.1:7000,x"\)/,
    );
  });

  it('never shows the password of a bad REDIS_URL', () => {
    expect(() =>
      validateEnv({ REDIS_URL: 'http://:hunter2@redis.example.com' }),
    ).toThrow(/REDIS_URL: .+ \(got "http:\/\/:\*\*\*@redis\.example\.com"\)/);
    expect(() =>
      validateEnv({ REDIS_URL: 'http://:hunter2@redis.example.com' }),
    ).not.toThrow(/hunter2/);
  });

  it('keeps an absolute SQLITE_PATH and the in-memory database as they are', () => {
    expect(validateEnv({ SQLITE_PATH: '/var/lib/chat.db' }).sqlitePath).toBe(
      '/var/lib/chat.db',
    );
    expect(validateEnv({ SQLITE_PATH: ':memory:' }).sqlitePath).toBe(
      ':memory:',
    );
  });

  it.each([
    ['3600', 3600_000],
    ['1.5', 1500],
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['12h', 43_200_000],
    ['7d', 604_800_000],
    ['1.5h', 5_400_000],
    [' 2 D ', 172_800_000],
  ])('reads the duration SESSION_TTL=%s as %d ms', (value, ms) => {
    expect(validateEnv({ SESSION_TTL: value }).sessionTtlMs).toBe(ms);
    expect(
      validateEnv({ SESSION_PRUNE_INTERVAL: value }).sessionPruneIntervalMs,
    ).toBe(ms);
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['false', false],
    ['False', false],
    ['0', false],
    [' false ', false],
    ['', false],
  ])('reads the switch TRUST_PROXY=%j as %s', (value, on) => {
    expect(validateEnv({ TRUST_PROXY: value }).trustProxy).toBe(on);
  });

  it('says which values a switch takes', () => {
    expect(() => validateEnv({ TRUST_PROXY: 'off' })).toThrow(
      'TRUST_PROXY: must be true, false, 1 or 0 (got "off")',
    );
  });

  it('treats empty strings as unset', () => {
    expect(validateEnv({ PORT: '', CORS_ORIGIN: '' }).port).toBe(3000);
  });

  it('ignores unrelated variables', () => {
    expect(() =>
      validateEnv({ PATH: '/usr/bin', HOME: '/root' }),
    ).not.toThrow();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '3.5'],
    ['NODE_ENV', 'staging'],
    ['STORE', 'mongo'],
    ['HISTORY_LIMIT', '0'],
    ['HISTORY_LIMIT', '2.5'],
    ['HISTORY_LIMIT', '1001'],
    ['HISTORY_LIMIT', 'all'],
    ['SESSION_TTL', '7 days'],
    ['SESSION_TTL', '-1d'],
    ['SESSION_TTL', '0'],
    ['SESSION_TTL', '500ms'],
    ['SESSION_TTL', 'd'],
    ['SESSION_PRUNE_INTERVAL', '30d'],
    ['SESSION_PRUNE_INTERVAL', '0.5s'],
    ['CORS_ORIGIN', 'localhost:4200'],
    ['CORS_ORIGIN', 'http://localhost:4200/path'],
    ['MAX_PAYLOAD_BYTES', '10'],
    ['METRICS_PORT', '70000'],
    ['LOG_LEVEL', 'verbose'],
    ['RATE_LIMIT_PER_SECOND', '0'],
    ['RATE_LIMIT_BURST', '-1'],
    ['NEW_SESSIONS_PER_MINUTE', '0'],
    ['MAX_CONNECTIONS_PER_ADDRESS', '0'],
    ['NEW_SESSIONS_PER_MINUTE', '1.5'],
    ['TRUST_PROXY', 'yes'],
    ['DATABASE_URL', 'localhost:5432/chat'],
    ['DATABASE_URL', 'http://localhost:5432/chat'],
    ['REDIS_URL', 'localhost:6379'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['REDIS_CLUSTER_NODES', '10.0.0.1'],
    ['REDIS_CLUSTER_NODES', 'rediss://10.0.0.1'],
    ['REDIS_CLUSTER_NODES', 'redis://10.0.0.1'],
    ['REDIS_CLUSTER_NODES', 'redis://10.0.0.1:7000/2'],
    ['REDIS_CLUSTER_NODES', '10.0.0.1:70000'],
    ['REDIS_CLUSTER_NODES', '10.0.0.1:7000,,10.0.0.2:7000'],
    ['REDIS_PREFIX', 'has space:'],
    ['REDIS_PREFIX', 'x'.repeat(65)],
    ['PRESENCE_NODE_TIMEOUT', '0.5s'],
    ['PRESENCE_NODE_TIMEOUT', '2d'],
    ['TRUST_PROXY', 'no'],
    ['TRUST_PROXY', '2'],
    ['CLUSTER_WORKERS', '0'],
    ['CLUSTER_WORKERS', '1.5'],
    ['CLUSTER_WORKERS', '65'],
    ['PG_POOL_SIZE', '0'],
    ['PG_POOL_SIZE', '1001'],
    ['PG_POOL_SIZE', 'ten'],
    ['PG_CONNECT_TIMEOUT', '500ms'],
    ['PG_QUERY_TIMEOUT', '0'],
    ['PG_IDLE_TIMEOUT', '-1'],
  ])(
    'stops on %s=%s with a message naming the variable and the value',
    (name, value) => {
      expect(() => validateEnv({ [name]: value })).toThrow(
        ConfigValidationError,
      );
      expect(() => validateEnv({ [name]: value })).toThrow(
        new RegExp(
          `${name}: .+ \\(got "${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"\\)`,
        ),
      );
    },
  );

  it('lists every bad variable at once', () => {
    try {
      validateEnv({ PORT: 'x', STORE: 'y' });
      throw new Error('expected a ConfigValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigValidationError);
      expect((error as ConfigValidationError).problems).toHaveLength(2);
      expect((error as Error).message).toMatch(
        /^Invalid configuration:\n {2}- PORT: .*\n {2}- STORE: /,
      );
    }
  });
});

describe('redactUrl', () => {
  it.each([
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['redis://:secret@host:6379/0', 'redis://:***@host:6379/0'],
    ['rediss://user:p@ss:w@host', 'rediss://user:***@host'],
    ['redis://secret@host', 'redis://***@host'],
    ['not a url', 'not a url'],
  ])('shows %s as %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});
