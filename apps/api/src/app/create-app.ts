import type { AddressInfo } from 'node:net';
import {
  Logger,
  type INestApplication,
  type LogLevel,
  type LoggerService,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { validateEnv, type AppConfig, type RawEnv } from '../config/app-config';
import { appLogger } from '../logging/app-logger';
import { RedisConnection } from '../shared/redis/redis-connection';
import { openPostgres } from '../shared/postgres/postgres.module';
import { checkSqlitePath } from '../startup/sqlite-preflight';
import { AppModule, hasWebApp, type AppModuleOptions } from './app.module';
import { ChatIoAdapter } from './chat-io.adapter';
import { securityHeaders } from './security-headers';

export interface CreateAppOptions
  extends Omit<AppModuleOptions, 'redis' | 'postgres'> {
  /** Nest's logger option; tests pass `false` or a few levels to keep output quiet. */
  logger?: LoggerService | LogLevel[] | false;
}

export interface CreatedApp {
  app: INestApplication;
  config: AppConfig;
  /** Its socket.io server, once `app.init()` (or `listen`) has run, is `ioAdapter.server`. */
  ioAdapter: ChatIoAdapter;
}

/**
 * Builds the whole product, not yet listening: config (validated once: a bad value throws
 * `ConfigValidationError`), with `STORE=redis` the connection to Redis (unreachable: a
 * `StartupError` naming REDIS_URL), socket.io adapter, CORS, static web app, shutdown hooks.
 * `env` overrides `process.env` variable by variable (tests use PORT=0, small rate limits...).
 */
export async function createApp(
  env: RawEnv = {},
  options: CreateAppOptions = {},
): Promise<CreatedApp> {
  const config = validateEnv({ ...process.env, ...env });
  // Before Nest: a database that cannot be opened, or an unreachable Redis, stops the start with
  // one line, not a stack trace.
  if (config.store === 'sqlite' && !options.stores)
    checkSqlitePath(config.sqlitePath);
  const redis = config.useRedis
    ? await RedisConnection.connect(config)
    : undefined;
  let postgres;
  try {
    postgres =
      config.store === 'postgres' && !options.stores
        ? await openPostgres(config.databaseUrl, config.postgresPool)
        : undefined;
  } catch (error) {
    await redis?.close();
    throw error;
  }
  let app: INestApplication;
  try {
    app = await NestFactory.create(
      AppModule.register(config, { ...options, redis, postgres }),
      {
        // Throw instead of Nest's process.abort(), so the caller reports the error and exits cleanly.
        abortOnError: false,
        logger: options.logger ?? appLogger(config),
      },
    );
  } catch (error) {
    await redis?.close();
    await postgres?.close();
    throw error;
  }
  if (config.nodeEnv === 'production' && !hasWebApp(config)) {
    // Logged here rather than while building the module, so it goes through the app's logger.
    new Logger('WebApp').warn(
      `no web app at ${config.webDist} (index.html missing): serving the api only. ` +
        'Build it with `nx build web` or set WEB_DIST.',
    );
  }
  // Before every route and the static web app.
  app.use(securityHeaders());
  const ioAdapter = new ChatIoAdapter(app);
  app.useWebSocketAdapter(ioAdapter);
  if (config.corsOrigins.length > 0)
    app.enableCors({ origin: config.corsOrigins });
  app.enableShutdownHooks();
  return { app, config, ioAdapter };
}

/** Starts listening on the configured port and host; resolves with the URL to print. */
export async function listen(
  app: INestApplication,
  config: AppConfig,
): Promise<string> {
  if (config.host === undefined) await app.listen(config.port);
  else await app.listen(config.port, config.host);
  const address = app.getHttpServer().address() as AddressInfo;
  return `http://${displayHost(config.host)}:${address.port}`;
}

const ANY_OR_LOCAL = new Set(['0.0.0.0', '::', 'localhost']);

/** `localhost` when bound to every interface (or to localhost): what a browser here would use. */
export function displayHost(host: string | undefined): string {
  if (host === undefined || ANY_OR_LOCAL.has(host)) return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
