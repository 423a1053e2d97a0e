import { spawn, type ChildProcess } from 'node:child_process';
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

/*
 * The redis-server processes behind redisForTests, startRedisServer and startRedisCluster: spawn,
 * wait for PING, stop, and clean up after test processes that have exited.
 */

export const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const NOT_FOUND =
  'redis-server not found: install it (Debian: apt-get install redis-server) or set REDIS_URL';
const DIR_PREFIX = 'chat-redis-';

/** A new data folder for one redis-server; the name says which process owns it (see removeStale). */
export function makeDataDir(): string {
  return mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
}

/**
 * Folders (and servers) left by test processes that have exited: Jest gives tests no reliable
 * hook at process exit, so each start cleans up after the runs before it.
 */
export function removeStale(): void {
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

export async function spawnRedis(
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
      // NOAUTH: up, and asking for the password it was started with.
      if (reply.includes('\r\n'))
        done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

export async function stopProcess(child: ChildProcess): Promise<void> {
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

export function freePort(): Promise<number> {
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
export function client(url: string): Redis {
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
