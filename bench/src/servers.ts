import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceRoot } from '@nx/devkit';
import {
  type ApiProcess,
  redisForTests,
  startApi,
  startPostgres,
  startServerProcess,
} from '@chat/test-support';

/** The reference server's built script (`nx run bench:build`). */
export const REFERENCE_SCRIPT = join(
  workspaceRoot,
  'dist/bench/reference-server.js',
);

/** One or more server processes under test, and how clients reach them. */
export interface Target {
  name: string;
  /** Client i connects to urls[i % urls.length]. */
  urls: string[];
  pids: number[];
  /** Stops every process (SIGTERM, or SIGKILL) and waits until they have exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export type TargetName =
  | 'reference'
  | 'sqlite'
  | 'memory'
  | 'redis'
  | 'postgres';
export const TARGET_NAMES: TargetName[] = [
  'reference',
  'sqlite',
  'memory',
  'redis',
  'postgres',
];

/**
 * What lets the product take the load at all: its limits out of the way (messages per user, new
 * sessions and open connections per address: every client of the bench comes from 127.0.0.1).
 */
export const NO_RATE_LIMIT = {
  RATE_LIMIT_PER_SECOND: '1000000000',
  RATE_LIMIT_BURST: '1000000000',
  NEW_SESSIONS_PER_MINUTE: '1000000000',
  MAX_CONNECTIONS_PER_ADDRESS: '1000000000',
};

/** The built reference server as a process, on a free loopback port. */
export async function startReference(): Promise<ApiProcess> {
  if (!existsSync(REFERENCE_SCRIPT)) {
    throw new Error(
      `${REFERENCE_SCRIPT} is missing: run \`npx nx run bench:build\` first`,
    );
  }
  return startServerProcess(REFERENCE_SCRIPT, {
    PORT: '0',
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
  });
}

/** Loopback URL of a started server (its printed URL may say `localhost`). */
function loopback(server: ApiProcess): string {
  return `http://127.0.0.1:${server.port}`;
}

function single(name: string, server: ApiProcess): Target {
  return {
    name,
    urls: [loopback(server)],
    pids: [server.pid],
    stop: (signal) => server.stop(signal),
  };
}

/** Starts the named target: the reference, or the built product with one of its stores. */
export async function startTarget(name: TargetName): Promise<Target> {
  switch (name) {
    case 'reference':
      return single('reference', await startReference());
    case 'sqlite':
      return single(
        'product (sqlite)',
        await startApi({ ...NO_RATE_LIMIT, STORE: 'sqlite' }),
      );
    case 'memory':
      return single(
        'product (memory)',
        await startApi({ ...NO_RATE_LIMIT, STORE: 'memory' }),
      );
    case 'redis': {
      const redis = await redisForTests();
      const env = {
        ...NO_RATE_LIMIT,
        STORE: 'redis',
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
      };
      const nodes: ApiProcess[] = [];
      try {
        nodes.push(await startApi(env));
        nodes.push(await startApi(env));
      } catch (error) {
        await Promise.all(nodes.map((node) => node.stop()));
        await redis.stop();
        throw error;
      }
      return {
        name: 'product (redis, 2 nodes)',
        urls: nodes.map(loopback),
        pids: nodes.map((node) => node.pid),
        stop: async (signal) => {
          await Promise.all(nodes.map((node) => node.stop(signal)));
          await redis.stop();
        },
      };
    }
    case 'postgres': {
      // Messages, sessions and markers in PostgreSQL; presence, limits and fan-out in Redis.
      const [postgres, redis] = await Promise.all([
        startPostgres(),
        redisForTests(),
      ]);
      const stopServers = () => Promise.all([postgres.stop(), redis.stop()]);
      const nodes: ApiProcess[] = [];
      try {
        const env = {
          ...NO_RATE_LIMIT,
          STORE: 'postgres',
          DATABASE_URL: await postgres.newSchema(),
          REDIS_URL: redis.url,
          REDIS_PREFIX: redis.prefix,
        };
        nodes.push(await startApi(env));
        nodes.push(await startApi(env));
      } catch (error) {
        await Promise.all(nodes.map((node) => node.stop()));
        await stopServers();
        throw error;
      }
      return {
        name: 'product (postgres + redis, 2 nodes)',
        urls: nodes.map(loopback),
        pids: nodes.map((node) => node.pid),
        stop: async (signal) => {
          await Promise.all(nodes.map((node) => node.stop(signal)));
          await stopServers();
        },
      };
    }
  }
}

/**
 * Stops a target, waiting at most `ms` for a graceful exit (SIGTERM) before killing it: a server
 * drowning in work (the guide's, with thousands of clients) may take its time.
 */
export async function stopWithin(
  target: Pick<Target, 'stop'>,
  ms = 15_000,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  try {
    if ((await Promise.race([target.stop(), late])) === 'late')
      await target.stop('SIGKILL');
  } finally {
    clearTimeout(timer);
  }
}

const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; NaN if unreadable. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 here (state is 3 → 0).
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Resident and peak resident memory (MiB) from /proc/<pid>/status; NaN if unreadable. */
export function processMemoryMiB(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
  } catch {
    return { rss: Number.NaN, peak: Number.NaN };
  }
}
