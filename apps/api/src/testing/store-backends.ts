import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  redisForTests,
  startRedisCluster,
  startPostgres,
  type RedisClusterProcess,
  type TestPostgres,
  type TestRedis,
} from '@chat/test-support';
import { Cluster, Redis } from 'ioredis';
import { RedisKeys } from '../shared/redis/redis-keys';
import { PostgresDatabase } from '../shared/postgres/postgres-database';
import { SqliteDatabase } from '../shared/sqlite/sqlite-database';

/**
 * For a spec of Redis stores (call it at the top of the file): a real Redis (REDIS_URL, or a
 * redis-server of this run's own), the client of this node and the client of another node, and
 * `keys()`, a fresh key prefix per call, so that each store starts empty. Every key of the run is
 * deleted at the end.
 */
export function useRedis() {
  let redis: TestRedis;
  let client: Redis;
  let otherNode: Redis;
  let n = 0;

  beforeAll(async () => {
    redis = await redisForTests();
    client = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    otherNode = new Redis(redis.url, { maxRetriesPerRequest: 0 });
  });

  afterAll(async () => {
    await client.quit();
    await otherNode.quit();
    await redis.stop();
  });

  return {
    get url() {
      return redis.url;
    },
    get client() {
      return client;
    },
    /** The client of a second node. */
    get otherNode() {
      return otherNode;
    },
    keys: () => new RedisKeys(`${redis.prefix}${++n}:`),
  };
}

/**
 * `useRedis` on a Redis Cluster of this run's own (3 masters, `startRedisCluster`): `client` and
 * `otherNode` are ioredis Clusters (typed as the `Redis` the stores take, as the app passes them),
 * `keys()` a fresh prefix in cluster mode (every key hash-tagged by its group).
 */
export function useRedisCluster() {
  let cluster: RedisClusterProcess;
  let client: Cluster;
  let otherNode: Cluster;
  let n = 0;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    const nodes = cluster.nodes.split(',').map((address) => {
      const [host, port] = address.split(':');
      return { host, port: Number(port) };
    });
    const connect = async () => {
      const made = new Cluster(nodes, {
        redisOptions: { maxRetriesPerRequest: 0 },
      });
      if (made.status !== 'ready')
        await new Promise((resolve) => made.once('ready', resolve));
      return made;
    };
    [client, otherNode] = await Promise.all([connect(), connect()]);
  }, 30_000);

  afterAll(async () => {
    await client?.quit();
    await otherNode?.quit();
    await cluster?.stop();
  });

  return {
    get nodes() {
      return cluster.nodes;
    },
    get client() {
      return client as unknown as Redis;
    },
    /** The client of a second node. */
    get otherNode() {
      return otherNode as unknown as Redis;
    },
    keys: () => new RedisKeys(`test:${++n}:`, true),
  };
}

/**
 * For a spec of SQLite stores: `open()` opens (and migrates) a new database file in a temporary
 * folder, or the file at `path` again; every database is closed after each test, the folder
 * deleted after the file.
 */
export function useSqliteFiles() {
  let dir: string;
  let n = 0;
  const open: SqliteDatabase[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-sqlite-'));
  });

  afterEach(() => {
    for (const database of open.splice(0)) database.close();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  return {
    open(path = join(dir, `contract-${++n}.sqlite`)): SqliteDatabase {
      const database = SqliteDatabase.open(path);
      open.push(database);
      return database;
    },
  };
}

/**
 * For a spec of PostgreSQL stores: a real PostgreSQL (DATABASE_URL, or a server of this run's
 * own), and `open()`, which opens (and migrates) a new, empty schema, or the schema of `url`
 * again (as after a restart, or another node); every database is closed after each test, every
 * schema dropped (or the server stopped) at the end.
 */
export function usePostgres() {
  let postgres: TestPostgres;
  const open: PostgresDatabase[] = [];
  const urls = new Map<PostgresDatabase, string>();

  beforeAll(async () => {
    postgres = await startPostgres();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((database) => database.close()));
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  return {
    /** A new schema's URL (DATABASE_URL for an api). */
    newSchema: () => postgres.newSchema(),
    async open(url?: string): Promise<PostgresDatabase> {
      const at = url ?? (await postgres.newSchema());
      const database = await PostgresDatabase.open(at);
      open.push(database);
      urls.set(database, at);
      return database;
    },
    /** The URL a database of `open()` was opened at. */
    urlOf(database: PostgresDatabase): string {
      const url = urls.get(database);
      if (url === undefined) throw new Error('not a database of this spec');
      return url;
    },
  };
}
