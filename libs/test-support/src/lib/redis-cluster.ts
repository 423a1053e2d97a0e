import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  client,
  freePort,
  makeDataDir,
  removeStale,
  spawnRedis,
  START_TIMEOUT_MS,
  stopProcess,
} from './redis-process';
import { makeTlsFiles, redisTlsArgs } from './tls-files';

/** A Redis Cluster of its own: masters on free ports, every slot assigned, no replicas. */
export interface RedisClusterProcess {
  /**
   * REDIS_CLUSTER_NODES for the api: `127.0.0.1:<port>,…`, every master; with `tls`,
   * `rediss://127.0.0.1:<TLS port>,…`.
   */
  nodes: string;
  /** With `tls`: the CA that signed the nodes' certificate (NODE_EXTRA_CA_CERTS for an api process). */
  caFile?: string;
  /** Each master's port, in the order of `nodes` (the first holds slots 0-5460). */
  ports: number[];
  /** Stops that master (SIGTERM); the others go on serving their slots. */
  stopMaster(index: number): Promise<void>;
  /** Starts that master again, on its port and folder: it rejoins with its slots (no data). */
  startMaster(index: number): Promise<void>;
  /** Stops every master and deletes their folders. */
  stop(): Promise<void>;
}

/**
 * Starts a Redis Cluster of `masters` (3 by default) redis-server processes of its own
 * (`--cluster-enabled yes`, each with its cluster bus on a free port too), joins them with
 * `redis-cli --cluster create … --cluster-yes` (REDIS_CLI_PATH or `redis-cli` on the PATH) and
 * waits until every node reports `cluster_state:ok`. Never uses REDIS_URL. With `password`, every
 * node requires it (`--requirepass`). With `tls`, every node also takes TLS on a port of its own,
 * the cluster bus is TLS, and TLS clients are given TLS ports (the tests' own checks use the
 * plain ones).
 */
export async function startRedisCluster(
  masters = 3,
  { password, tls = false }: { password?: string; tls?: boolean } = {},
): Promise<RedisClusterProcess> {
  removeStale();
  const tlsDir = tls ? makeDataDir() : undefined;
  const tlsFiles = tlsDir ? makeTlsFiles(tlsDir) : undefined;
  const tlsPorts: number[] = [];
  const started: {
    child: ChildProcess;
    dir: string;
    port: number;
    args: string[];
  }[] = [];
  const stop = async () => {
    await Promise.all(started.map(({ child }) => stopProcess(child)));
    for (const { dir } of started)
      rmSync(dir, { recursive: true, force: true });
    if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const dir = makeDataDir();
      const port = await freePort();
      const args = [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, 'nodes.conf'),
        '--cluster-port',
        String(await freePort()),
        '--cluster-node-timeout',
        '5000',
        ...(password
          ? ['--requirepass', password, '--masterauth', password]
          : []),
      ];
      if (tlsFiles) {
        tlsPorts.push(await freePort());
        args.push(...redisTlsArgs(tlsFiles, tlsPorts[i], true));
      }
      const child = await spawnRedis(port, dir, false, args);
      started.push({ child, dir, port, args });
    }
    const addresses = started.map(({ port }) => `127.0.0.1:${port}`);
    await runCli([
      ...(password ? ['-a', password, '--no-auth-warning'] : []),
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (const { port } of started) {
      while (!(await clusterOk(port, password))) {
        if (Date.now() > deadline)
          throw new Error(
            `the Redis Cluster on ${addresses.join(', ')} never reported cluster_state:ok`,
          );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    return {
      nodes: tlsFiles
        ? tlsPorts.map((port) => `rediss://127.0.0.1:${port}`).join(',')
        : addresses.join(','),
      ...(tlsFiles && { caFile: tlsFiles.ca }),
      ports: started.map(({ port }) => port),
      stop,
      stopMaster: (index) => stopProcess(started[index].child),
      async startMaster(index) {
        const master = started[index];
        await stopProcess(master.child);
        master.child = await spawnRedis(
          master.port,
          master.dir,
          false,
          master.args,
        );
      },
    };
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
async function clusterOk(port: number, password?: string): Promise<boolean> {
  const auth = password ? `:${encodeURIComponent(password)}@` : '';
  const redis = client(`redis://${auth}127.0.0.1:${port}`);
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
