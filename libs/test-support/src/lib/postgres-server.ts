import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * PostgreSQL for tests that need a real one (the api's PostgreSQL stores, api nodes on
 * STORE=postgres). Never skips: without a server to use, it fails and says what to install.
 */

/** A PostgreSQL to run against; every test takes a schema of its own. */
export interface TestPostgres {
  /** The server's URL (DATABASE_URL, or the database `postgres` of the server started here). */
  url: string;
  /**
   * The URL of a new, empty schema of this run (`search_path` set in the URL's `options`), for
   * one test or one api: DATABASE_URL for the api, which then finds and creates nothing elsewhere.
   */
  newSchema(): Promise<string>;
  /** Drops every schema made by `newSchema` (shared server), or stops the server started here. */
  stop(): Promise<void>;
}

/** A PostgreSQL server process of its own, which a test may stop and start again. */
export interface PostgresServerProcess {
  /** URL of its database `postgres`. */
  url: string;
  port: number;
  /** Stops it (fast shutdown: sessions cut, everything committed kept); its data folder is kept. */
  stop(): Promise<void>;
  /** Stops it if running, then starts it again on the same port and folder. */
  restart(): Promise<void>;
  /** Stops it and deletes its data folder. */
  destroy(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const NOT_FOUND =
  'PostgreSQL not found: install it (Debian: apt-get install postgresql), set POSTGRES_BIN_DIR to the folder of its initdb and postgres, or set DATABASE_URL';
const DIR_PREFIX = 'chat-postgres-';

/**
 * With `DATABASE_URL` set, that server: `newSchema()` makes schemas named `test_<random>_<n>`,
 * which `stop()` drops (nothing else is touched). Without it, a server of its own (initdb in a
 * temporary folder, on a free port), stopped and deleted by `stop()`.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const shared = process.env['DATABASE_URL'];
  if (shared) {
    await check(shared);
    return schemasOn(shared, async () => undefined);
  }
  const server = await startPostgresServer();
  return schemasOn(server.url, () => server.destroy());
}

function schemasOn(url: string, stopServer: () => Promise<void>): TestPostgres {
  const run = `test_${randomBytes(4).toString('hex')}`;
  const made: string[] = [];
  return {
    url,
    async newSchema() {
      const schema = `${run}_${made.length + 1}`;
      await withClient(url, (client) =>
        client.query(`CREATE SCHEMA ${schema}`),
      );
      made.push(schema);
      return withSearchPath(url, schema);
    },
    async stop() {
      try {
        if (made.length > 0)
          await withClient(url, (client) =>
            client.query(`DROP SCHEMA IF EXISTS ${made.join(', ')} CASCADE`),
          );
      } finally {
        await stopServer();
      }
    },
  };
}

/** `url` with `search_path` set to `schema` for every connection made from it. */
export function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

async function withClient<T>(
  url: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function check(url: string): Promise<void> {
  try {
    await withClient(url, (client) => client.query('SELECT 1'));
  } catch (error) {
    throw new Error(
      `DATABASE_URL does not answer (${(error as Error).message}): start that PostgreSQL, or unset DATABASE_URL to let the tests start their own`,
    );
  }
}

/** Always a server of its own, whatever `DATABASE_URL` says (tests that stop or restart it). */
export async function startPostgresServer(): Promise<PostgresServerProcess> {
  removeStale();
  const bin = binDir();
  const owner = serverUser();
  // The name says which process owns it: see removeStale.
  const dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  try {
    execFileSync(
      join(bin, 'initdb'),
      [
        '-D',
        data,
        '-U',
        'postgres',
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--no-locale',
        '--no-sync',
      ],
      { stdio: 'pipe', ...owner },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const output = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`initdb failed: ${(error as Error).message}\n${output}`);
  }
  let port = await freePort();
  let child: ChildProcess | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      child = await spawnPostgres(bin, data, dir, port, owner);
      break;
    } catch (error) {
      if (attempt >= 3 || !/already in use/i.test(String(error))) {
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
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop,
    restart: async () => {
      await stop();
      child = await spawnPostgres(bin, data, dir, port, owner);
    },
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** POSTGRES_BIN_DIR, else the newest of Debian's /usr/lib/postgresql/<version>/bin, else PATH's. */
function binDir(): string {
  const fromEnv = process.env['POSTGRES_BIN_DIR'];
  if (fromEnv) {
    if (!existsSync(join(fromEnv, 'initdb')))
      throw new Error(`${NOT_FOUND} (no initdb in ${fromEnv})`);
    return fromEnv;
  }
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian)
    ? readdirSync(debian)
        .filter((v) => existsSync(join(debian, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length > 0) return join(debian, versions[0], 'bin');
  try {
    const initdb = execFileSync('sh', ['-c', 'command -v initdb'], {
      encoding: 'utf8',
    }).trim();
    if (initdb) return join(initdb, '..');
  } catch {
    // Not on the PATH either.
  }
  throw new Error(NOT_FOUND);
}

/** PostgreSQL refuses to run as root: then the server runs as the `postgres` user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      "running as root, and there is no `postgres` user to run PostgreSQL as (Debian's postgresql package creates it): create one, or set DATABASE_URL",
    );
  }
}

async function spawnPostgres(
  bin: string,
  data: string,
  dir: string,
  port: number,
  owner: { uid: number; gid: number } | undefined,
): Promise<ChildProcess> {
  const args = [
    '-D',
    data,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=${dir}`,
    // Tests survive a crash of the api, not of the machine: no fsync, and a small footprint.
    '-c',
    'fsync=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'shared_buffers=16MB',
    '-c',
    'max_connections=200',
  ];
  const child = spawn(join(bin, 'postgres'), args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...owner,
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error(NOT_FOUND) : error),
    );
    child.once('exit', (code, signal) =>
      reject(
        new Error(
          `postgres exited (${signal ?? `code ${code}`}) at start:\n${output.join('')}`,
        ),
      ),
    );
  });
  failed.catch(() => undefined);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const answered = await Promise.race([answers(url), failed]);
    if (answered) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `postgres did not accept connections on port ${port} within ${START_TIMEOUT_MS} ms:\n${output.join('')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    await withClient(url, (client) => client.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  // SIGINT: PostgreSQL's fast shutdown (SIGTERM would wait for every client to leave).
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Folders (and servers) left by test processes that have exited: each start cleans up after the
 * runs before it, as Jest gives tests no reliable hook at process exit.
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
      // postmaster.pid: its first line is the server's pid, its second the data folder.
      const [pid, data] = readFileSync(
        join(dir, 'data', 'postmaster.pid'),
        'utf8',
      ).split('\n');
      if (isAlive(Number(pid)) && isOurPostgres(Number(pid), data))
        process.kill(Number(pid), 'SIGKILL');
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

/** Whether that pid is a postgres serving that data folder (Linux; elsewhere never killed). */
function isOurPostgres(pid: number, data: string): boolean {
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return commandLine.includes('postgres') && commandLine.includes(data);
  } catch {
    return false;
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
