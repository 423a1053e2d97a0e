import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import {
  client,
  freePort,
  makeDataDir,
  removeStale,
  spawnRedis,
  stopProcess,
} from './redis-process';
import { makeTlsFiles, redisTlsArgs } from './tls-files';

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
  /** REDIS_URL: `redis://127.0.0.1:<port>`, or with `tls`, `rediss://127.0.0.1:<TLS port>`. */
  url: string;
  port: number;
  /** With `tls`: the CA that signed its certificate (NODE_EXTRA_CA_CERTS for an api process). */
  caFile?: string;
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
  /** Also TLS, on a port of its own, with a certificate for 127.0.0.1 (see makeTlsFiles). */
  tls?: boolean;
}

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

async function launch(
  options: RedisServerOptions = {},
): Promise<{ server: RedisServerProcess; dir: string }> {
  removeStale();
  const dir = makeDataDir();
  let port = options.port ?? (await freePort());
  const tls = options.tls ? makeTlsFiles(dir) : undefined;
  const tlsPort = tls ? await freePort() : undefined;
  const extraArgs =
    tls && tlsPort !== undefined ? redisTlsArgs(tls, tlsPort) : [];
  let child: ChildProcess | undefined;
  // A free port may be taken by someone else before redis binds it: then try another one.
  for (let attempt = 1; ; attempt++) {
    try {
      child = await spawnRedis(
        port,
        dir,
        options.appendonly ?? false,
        extraArgs,
      );
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
    url: tls ? `rediss://127.0.0.1:${tlsPort}` : `redis://127.0.0.1:${port}`,
    port,
    ...(tls && { caFile: tls.ca }),
    stop,
    restart: async () => {
      await stop();
      child = await spawnRedis(
        port,
        dir,
        options.appendonly ?? false,
        extraArgs,
      );
    },
  };
  return { server, dir };
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
