import type { SendHandle } from 'node:child_process';
import cluster, { type Worker } from 'node:cluster';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { setupMaster, setupWorker } from '@socket.io/sticky';
import { AggregatorRegistry } from 'prom-client';
import type { AppConfig } from '../config/app-config';
import { createMetricsServer, listenMetrics } from '../metrics/metrics.module';
import { RedisConnection } from '../shared/redis/redis-connection';
import { createApp, displayHost } from './create-app';

/** What a worker sends the primary over IPC once it can take connections. */
const WORKER_READY = 'chat:worker-ready';
/** A worker that died is replaced after this pause (a crash loop does not spin). */
const RESPAWN_DELAY_MS = 1000;
/** How long the primary waits for its workers to stop before killing them. */
const STOP_TIMEOUT_MS = 10_000;

const isReady = (message: unknown): boolean =>
  typeof message === 'object' &&
  message !== null &&
  (message as { type?: unknown }).type === WORKER_READY;

/**
 * CLUSTER_WORKERS > 1, the primary process: it owns the port and hands each connection to a worker
 * (@socket.io/sticky: the HTTP long-polling requests of one socket.io session, and its upgrade,
 * all reach the same worker; every other request too, so the web app is served by the workers).
 * The workers are api nodes like any other, sharing everything through Redis.
 *
 * Prints `server listening at <url>` once every worker is ready; replaces a worker that dies;
 * stops the workers on SIGTERM or SIGINT, then exits. Resolves once the line is printed.
 */
export async function runPrimary(config: AppConfig): Promise<void> {
  const logger = new Logger('Cluster');
  // Fail fast, with the same one line as a single process, before starting anyone.
  await (await RedisConnection.connect(config)).close();

  const httpServer = createServer();
  setupMaster(httpServer, { loadBalancingMethod: 'least-connection' });
  await listenOn(httpServer, config);
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${displayHost(config.host)}:${port}`;

  // Buffers (the sticky module's request chunks) must cross IPC as they are.
  cluster.setupPrimary({ serialization: 'advanced' });
  let stopping = false;
  let started = false;
  const ready = new Set<Worker>();

  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter(
      (worker): worker is Worker => worker !== undefined,
    );
    await Promise.all(workers.map((worker) => stopWorker(worker)));
    httpServer.close();
    process.exit(code);
  };

  await new Promise<void>((resolve) => {
    cluster.on('message', (worker, message: unknown) => {
      if (!isReady(message)) return;
      ready.add(worker);
      if (started || ready.size < config.clusterWorkers) return;
      started = true;
      resolve();
    });
    cluster.on('exit', (worker, code, signal) => {
      ready.delete(worker);
      if (stopping) return;
      const how = signal ? `by ${signal}` : `with code ${code}`;
      if (!started) {
        logger.error(
          `worker ${worker.process.pid} exited ${how} before it was ready: stopping`,
        );
        void stop(1);
        return;
      }
      logger.warn(
        `worker ${worker.process.pid} exited ${how}: starting another`,
      );
      setTimeout(() => {
        if (!stopping) cluster.fork();
      }, RESPAWN_DELAY_MS);
    });
    for (const signal of ['SIGTERM', 'SIGINT'] as const)
      process.once(signal, () => void stop(0));
    for (let i = 0; i < config.clusterWorkers; i++) cluster.fork();
  });
  const metrics = await serveClusterMetrics(config);
  process.once('exit', () => metrics?.close());
  // The e2e harness parses exactly this line: keep the wording.
  console.log(`server listening at ${url}`);
}

/**
 * METRICS_PORT with several workers: the primary serves every worker's metrics together
 * (prom-client's AggregatorRegistry asks each worker over IPC; counters are summed).
 */
async function serveClusterMetrics(
  config: AppConfig,
): Promise<Server | undefined> {
  if (config.metricsPort === undefined) return undefined;
  const registry = new AggregatorRegistry();
  const server = createMetricsServer(
    () => registry.clusterMetrics(),
    registry.contentType,
  );
  const url = await listenMetrics(
    server,
    config.metricsPort,
    config.metricsHost,
  );
  new Logger('Metrics').log(`metrics of every worker at ${url}`);
  return server;
}

/**
 * A worker: the whole app, initialised but not listening; the primary passes it connections.
 * Resolves once it told the primary it is ready.
 */
export async function runWorker(): Promise<void> {
  // Connections the primary sends before the app is ready wait here, then are replayed.
  const early: [unknown, SendHandle][] = [];
  const hold = (message: unknown, handle: SendHandle) =>
    early.push([message, handle]);
  process.on('message', hold);
  const { app, ioAdapter } = await createApp();
  await app.init();
  setupWorker(ioAdapter.server);
  process.off('message', hold);
  for (const [message, handle] of early)
    process.emit('message', message, handle);
  process.send?.({ type: WORKER_READY });
}

function listenOn(server: Server, config: AppConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const listening = () => {
      server.off('error', reject);
      resolve();
    };
    if (config.host === undefined) server.listen(config.port, listening);
    else server.listen(config.port, config.host, listening);
  });
}

/** SIGTERM (the worker's app shuts down cleanly), then SIGKILL if it takes too long. */
function stopWorker(worker: Worker): Promise<void> {
  if (worker.isDead()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(
      () => worker.process.kill('SIGKILL'),
      STOP_TIMEOUT_MS,
    );
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.process.kill('SIGTERM');
  });
}
