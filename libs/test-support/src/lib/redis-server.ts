import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * Redis for tests that need a real one (the api's Redis stores, several api nodes). Never skips:
 * without a Redis to use, it fails and says what to install.
 */

/** A Redis to run against, and the key prefix (REDIS_PREFIX) that keeps this run apart. */
export interface TestRedis {
  /** REDIS_URL for the api. */
  url: string;
  /** A unique REDIS_PREFIX, `test:<random>:`; derive sub-prefixes from it (`${prefix}1:`). */
  prefix: string;
  /** Deletes every key under `prefix` (shared Redis), or stops the Redis started for this run. */
  stop(): Promise<void>;
}

/** A redis-server process of its own, which a test may stop and start again. */
export interface RedisServerProcess {
  url: string;
  port: number;
  /** Stops the server (SIGTERM: it flushes its append-only file); its data folder is kept. */
  stop(): Promise<void>;
  /**
   * Stops it if running, then starts it again on the same port and folder: with
   * `appendonly: true` every acknowledged write is still there.
   */
  restart(): Promise<void>;
}

export interface RedisServerOptions {
  /** Port to listen on (127.0.0.1); a free one by default. */
  port?: number;
  /** Append-only file with fsync on every write, so data survives a restart. Default: no persistence. */
  appendonly?: boolean;
}

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const NOT_FOUND =
  'redis-server not found: install it (Debian: apt-get install redis-server) or set REDIS_URL';

/**
 * With `REDIS_URL` set, that server, with a random prefix whose keys `stop()` deletes (SCAN +
 * UNLINK; nothing else is touched, never FLUSHALL). Without it, a redis-server of its own
 * (`REDIS_SERVER_PATH` or `redis-server` on the PATH), stopped by `stop()`.
 */
export async function redisForTests(): Promise<TestRedis> {
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  const shared = process.env['REDIS_URL'];
  if (shared) {
    await ping(shared);
    return { url: shared, prefix, stop: () => deleteKeys(shared, prefix) };
  }
  const { server, dir } = await launch();
  return {
    url: server.url,
    prefix,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Always spawns a redis-server of its own, whatever `REDIS_URL` says (tests that restart it). Its
 * data folder outlives `stop()` (`restart()` reuses it); it is deleted, and the server killed if a
 * test left it running, by a later call once this test process has exited.
 */
export async function startRedisServer(
  options: RedisServerOptions = {},
): Promise<RedisServerProcess> {
  return (await launch(options)).server;
}

const DIR_PREFIX = 'chat-redis-';

/** A Redis Cluster of its own: masters on free ports, every slot assigned, no replicas. */
export interface RedisClusterProcess {
  /** REDIS_CLUSTER_NODES for the api: `127.0.0.1:<port>,…`, every master. */
  nodes: string;
  /** Stops every master and deletes their folders. */
  stop(): Promise<void>;
}

/**
 * Starts a Redis Cluster of `masters` (3 by default) redis-server processes of its own
 * (`--cluster-enabled yes`, each with its cluster bus on a free port too), joins them with
 * `redis-cli --cluster create … --cluster-yes` (REDIS_CLI_PATH or `redis-cli` on the PATH) and
 * waits until every node reports `cluster_state:ok`. Never uses REDIS_URL.
 */
export async function startRedisCluster(
  masters = 3,
): Promise<RedisClusterProcess> {
  removeStale();
  const started: { child: ChildProcess; dir: string; port: number }[] = [];
  const stop = async () => {
    await Promise.all(started.map(({ child }) => stopProcess(child)));
    for (const { dir } of started)
      rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
      const port = await freePort();
      const child = await spawnRedis(port, dir, false, [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, 'nodes.conf'),
        '--cluster-port',
        String(await freePort()),
        '--cluster-node-timeout',
        '5000',
      ]);
      started.push({ child, dir, port });
    }
    const addresses = started.map(({ port }) => `127.0.0.1:${port}`);
    await runCli([
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (const { port } of started) {
      while (!(await clusterOk(port))) {
        if (Date.now() > deadline)
          throw new Error(
            `the Redis Cluster on ${addresses.join(', ')} never reported cluster_state:ok`,
          );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    return { nodes: addresses.join(','), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs redis-cli with `args`; rejects with its output unless it exits 0. */
function runCli(args: string[]): Promise<void> {
  const binary = process.env['REDIS_CLI_PATH'] || 'redis-cli';
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error(
              `redis-cli not found (tried "${binary}"): install it with redis-server`,
            )
          : error,
      ),
    );
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `redis-cli ${args.join(' ')} exited with ${code}:\n${output.join('')}`,
            ),
          ),
    );
  });
}

/** Whether the node on that port reports `cluster_state:ok`. */
async function clusterOk(port: number): Promise<boolean> {
  const redis = client(`redis://127.0.0.1:${port}`);
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const info = (await redis.call('CLUSTER', 'INFO')) as string;
    return info.includes('cluster_state:ok');
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

async function launch(
  options: RedisServerOptions = {},
): Promise<{ server: RedisServerProcess; dir: string }> {
  removeStale();
  // The name says which process owns it: see removeStale.
  const dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
  let port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  // A free port may be taken by someone else before redis binds it: then try another one.
  for (let attempt = 1; ; attempt++) {
    try {
      child = await spawnRedis(port, dir, options.appendonly ?? false);
      break;
    } catch (error) {
      if (
        options.port !== undefined ||
        attempt >= 3 ||
        !/Address already in use/i.test(String(error))
      ) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      port = await freePort();
    }
  }
  const stop = async () => {
    const running = child;
    child = undefined;
    if (running) await stopProcess(running);
  };
  const server: RedisServerProcess = {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    restart: async () => {
      await stop();
      child = await spawnRedis(port, dir, options.appendonly ?? false);
    },
  };
  return { server, dir };
}

/**
 * Folders (and servers) left by test processes that have exited: Jest gives tests no reliable
 * hook at process exit, so each start cleans up after the runs before it.
 */
function removeStale(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const owner = new RegExp(`^${DIR_PREFIX}(\\d+)-`).exec(name);
    if (!owner || isAlive(Number(owner[1]))) continue;
    const dir = join(tmpdir(), name);
    try {
      const pid = Number(readFileSync(join(dir, 'redis.pid'), 'utf8').trim());
      const port = readFileSync(join(dir, 'port'), 'utf8').trim();
      if (isAlive(pid) && isOurRedisServer(pid, port))
        process.kill(pid, 'SIGKILL');
    } catch {
      // No pid file, or the server is gone already.
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether that pid is a redis-server on that port (Linux: redis shows `redis-server host:port` as
 * its command line; elsewhere it is never killed, only its folder removed).
 */
function isOurRedisServer(pid: number, port: string): boolean {
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return (
      commandLine.includes('redis-server') && commandLine.includes(`:${port}`)
    );
  } catch {
    return false;
  }
}

async function spawnRedis(
  port: number,
  dir: string,
  appendonly: boolean,
  extraArgs: readonly string[] = [],
): Promise<ChildProcess> {
  const binary = process.env['REDIS_SERVER_PATH'] || 'redis-server';
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--pidfile',
    join(dir, 'redis.pid'),
    '--save',
    '',
    '--appendonly',
    appendonly ? 'yes' : 'no',
    ...(appendonly ? ['--appendfsync', 'always'] : []),
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    ...extraArgs,
  ];
  writeFileSync(join(dir, 'port'), String(port));
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error(`${NOT_FOUND} (tried "${binary}")`)
          : error,
      ),
    );
    child.once('exit', (code, signal) =>
      reject(
        new Error(
          `redis-server exited (${signal ?? `code ${code}`}) at start:\n${output.join('')}`,
        ),
      ),
    );
  });
  // Keeps the promise from ever being an unhandled rejection once the server is up.
  failed.catch(() => undefined);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const answered = await Promise.race([pingPort(port), failed]);
    if (answered) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `redis-server did not answer PING on port ${port} within ${START_TIMEOUT_MS} ms:\n${output.join('')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether a Redis on 127.0.0.1:port answers PING now (RESP by hand: no client, no retries). */
function pingPort(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A client for one job, failing at once rather than retrying. */
function client(url: string): Redis {
  return new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 5000,
    // Its default (2 s) would also wait for a connection that never opened.
    disconnectTimeout: 100,
  });
}

async function ping(url: string): Promise<void> {
  const redis = client(url);
  let reason: Error | undefined;
  redis.on('error', (error: Error) => (reason ??= error));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `REDIS_URL does not answer PING (${(reason ?? (error as Error)).message}): start that Redis, or unset REDIS_URL to let the tests start their own redis-server`,
    );
  } finally {
    if (redis.status !== 'end') redis.disconnect();
  }
}

/** Deletes every key starting with `prefix` (SCAN + UNLINK: nothing else, and never FLUSH). */
async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = client(url);
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        pattern,
        'COUNT',
        1000,
      );
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
    await redis.quit();
  } finally {
    if (redis.status !== 'end') redis.disconnect();
  }
}
