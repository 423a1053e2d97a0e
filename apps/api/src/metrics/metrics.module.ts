import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Global,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AggregatorRegistry } from 'prom-client';
import type { AppConfig } from '../config/app-config';
import { Metrics } from './metrics';

/**
 * Serves `GET /metrics` of `registry` (or a function giving the text) on its own HTTP server: never
 * on the public port, so a load balancer in front of the chat never exposes it.
 */
export function createMetricsServer(
  scrape: () => Promise<string>,
  contentType: string,
): Server {
  const logger = new Logger('Metrics');
  return createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    scrape().then(
      (text) => res.writeHead(200, { 'Content-Type': contentType }).end(text),
      (error: unknown) => {
        logger.error(`scrape failed: ${String(error)}`);
        res.writeHead(500).end();
      },
    );
  });
}

/** Listens on `port` and `host`; resolves with the URL of its metrics. */
export function listenMetrics(
  server: Server,
  port: number,
  host: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const { port: bound } = server.address() as AddressInfo;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve(`http://${shown}:${bound}/metrics`);
    });
  });
}

/**
 * METRICS_PORT set: this process's metrics on that port (a cluster worker instead hands them to the
 * primary, which serves every worker's together: prom-client's AggregatorRegistry).
 */
export class MetricsServer
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('Metrics');
  private server: Server | undefined;
  /** Where the metrics are served, once listening. */
  url: string | undefined;

  constructor(
    private readonly metrics: Metrics,
    private readonly config: Pick<AppConfig, 'metricsPort' | 'metricsHost'>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { metricsPort, metricsHost } = this.config;
    if (metricsPort === undefined) return;
    this.metrics.collectProcessMetrics();
    if (cluster.isWorker) {
      // Constructing one is what makes a worker answer the primary's requests (prom-client 15).
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([this.metrics.registry]);
      return;
    }
    this.server = createMetricsServer(
      () => this.metrics.scrape(),
      this.metrics.registry.contentType,
    );
    this.url = await listenMetrics(this.server, metricsPort, metricsHost);
    this.logger.log(`metrics at ${this.url}`);
  }

  onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

/** Metrics everywhere (the chat counts into them), served by MetricsServer when configured. */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(config: AppConfig, metrics = new Metrics()): DynamicModule {
    return {
      module: MetricsModule,
      providers: [
        { provide: Metrics, useValue: metrics },
        {
          provide: MetricsServer,
          useFactory: () => new MetricsServer(metrics, config),
        },
      ],
      exports: [Metrics, MetricsServer],
    };
  }
}
