import { resolve } from 'node:path';
import { z } from 'zod';
import {
  boolean,
  duration,
  isOrigin,
  isPostgresUrl,
  isRedisUrl,
  MAX_TIMER_MS,
  optional,
  hostPortList,
  positiveInteger,
  SECOND,
  UNIT_MS,
  type HostPort,
} from './env-values';

/** Store implementations that can be chosen with `STORE` (the first is the default); see stores.module. */
export const STORE_KINDS = ['sqlite', 'memory', 'redis', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export const NODE_ENVS = ['development', 'production', 'test'] as const;

/** LOG_LEVEL values, most severe first (pino's names). */
export const LOG_LEVELS = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
export type NodeEnv = (typeof NODE_ENVS)[number];

/** The typed configuration, read from the environment once at start. */
export interface AppConfig {
  nodeEnv: NodeEnv;
  port: number;
  /** Interface to listen on; undefined: every interface (Node's default, IPv6 and IPv4). */
  host: string | undefined;
  /** Origins allowed by CORS (HTTP and socket.io polling); empty: same origin only. */
  corsOrigins: string[];
  store: StoreKind;
  /** SQLite database file (absolute), or `:memory:`; used when `store` is `sqlite`. */
  sqlitePath: string;
  /** Messages per conversation in the `users` replay; also the default `fetch messages` page. */
  historyLimit: number;
  /** A session not connected for this long (ms) is forgotten, with its user's messages. */
  sessionTtlMs: number;
  /** How often (ms) expired sessions are pruned. */
  sessionPruneIntervalMs: number;
  /** Absolute path of the built web app, served in production. */
  webDist: string;
  /** socket.io `maxHttpBufferSize`: bigger frames are cut by engine.io before any handler. */
  maxPayloadBytes: number;
  /** Port of the Prometheus metrics (`GET /metrics`); undefined: not served. */
  metricsPort: number | undefined;
  /** Interface the metrics listen on. */
  metricsHost: string;
  rateLimit: RateLimitConfig;
  /** Handshakes that start a new session (a new user), per client address. */
  newSessionLimit: RateLimitConfig;
  /** Open connections per client address, per process. */
  maxConnectionsPerAddress: number;
  /**
   * Whether the client address is the last entry of X-Forwarded-For (set by a reverse proxy in
   * front) rather than the connection's peer.
   */
  trustProxy: boolean;
  /** PostgreSQL database of `store` `postgres`: sessions, messages, markers and settings. */
  databaseUrl: string;
  /** Its connection pool, per process. */
  postgresPool: PostgresPoolConfig;
  /**
   * Whether this node uses Redis (`redisUrl`, or `redisClusterNodes`): with `store` `redis`, or
   * `postgres` with REDIS_URL or REDIS_CLUSTER_NODES set (presence, rate limits and the socket.io
   * adapter between nodes; without it, one node).
   */
  useRedis: boolean;
  /** Redis server of `store` `redis`: sessions, messages, presence and the socket.io adapter. */
  redisUrl: string;
  /** A Redis Cluster's nodes (some or all of them) to use instead of `redisUrl`; undefined: none. */
  redisClusterNodes: HostPort[] | undefined;
  /** Start of every Redis key, stream and channel name this deployment uses. */
  redisPrefix: string;
  /** A node whose presence heartbeat is older than this (ms) counts as dead (`store` `redis`). */
  presenceNodeTimeoutMs: number;
  /** Worker processes behind one port (Node cluster, sticky sessions); 1: a single process. */
  clusterWorkers: number;
  /** Least severe level logged. */
  logLevel: LogLevelName;
}

export interface PostgresPoolConfig {
  /** Connections per process. */
  size: number;
  /** How long a query waits for a connection: then it fails (`unavailable`). */
  connectTimeoutMs: number;
  /** A query without an answer after this long fails, even if the connection looks alive. */
  queryTimeoutMs: number;
  /** An idle connection is closed after this long. */
  idleTimeoutMs: number;
}

export interface RateLimitConfig {
  /** Tokens refilled per second, per bucket (a user, a client address). */
  perSecond: number;
  /** Bucket size: what may be spent in one burst. */
  burst: number;
}

/** Raw variables as they come from `process.env` (or a test's overrides). */
export type RawEnv = Record<string, string | undefined>;

export const DEFAULT_DEV_CORS_ORIGIN = 'http://localhost:4200';
export const DEFAULT_WEB_DIST = 'dist/apps/web/browser';
export const DEFAULT_SQLITE_PATH = 'data/chat.sqlite';
export const DEFAULT_NEW_SESSIONS_PER_MINUTE = 30;
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 500;
/**
 * The largest legitimate frame is a `private message` of 4000 characters that JSON escapes to 6
 * bytes each (control characters, lone surrogates: about 24 KB), or a `fetch users` of 100 ids (13
 * KB): 32 KiB holds either, and bounds what one frame can cost to parse.
 */
export const DEFAULT_MAX_PAYLOAD_BYTES = 32 * 1024;
/** Metrics are for the operator's scraper, not the public: loopback unless told otherwise. */
export const DEFAULT_METRICS_HOST = '127.0.0.1';
/** SQLite's name for a private, in-process database (tests). */
export const SQLITE_IN_MEMORY = ':memory:';
export const DEFAULT_HISTORY_LIMIT = 50;
export const HISTORY_LIMIT_MAX = 1000;
export const DEFAULT_SESSION_TTL_MS = 7 * UNIT_MS.d;
export const DEFAULT_SESSION_PRUNE_INTERVAL_MS = UNIT_MS.h;
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_DATABASE_URL = 'postgres://localhost:5432/chat';
export const DEFAULT_REDIS_PREFIX = 'chat:';
export const DEFAULT_POSTGRES_POOL: PostgresPoolConfig = {
  size: 10,
  connectTimeoutMs: 2 * SECOND,
  queryTimeoutMs: 5 * SECOND,
  idleTimeoutMs: 10 * SECOND,
};
/** PostgreSQL's default max_connections is 100, for every process together. */
export const PG_POOL_SIZE_MAX = 1000;
export const DEFAULT_PRESENCE_NODE_TIMEOUT_MS = 10 * SECOND;
export const CLUSTER_WORKERS_MAX = 64;

/** Thrown when the environment holds a bad value: startup stops with this message. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigValidationError';
  }
}

/**
 * The URL with its password (or a lone user part, which Redis may read as one) replaced by `***`:
 * what may be logged. Works on any string, parsable or not.
 */
export function redactUrl(value: string): string {
  return value.replace(
    /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i,
    (_, scheme: string, credentials: string) => {
      const colon = credentials.indexOf(':');
      return colon === -1
        ? `${scheme}***@`
        : `${scheme}${credentials.slice(0, colon)}:***@`;
    },
  );
}

/** Variables whose value may hold a secret: shown redacted in error messages. */
const REDACTED: Record<string, (value: string) => string> = {
  REDIS_URL: redactUrl,
  DATABASE_URL: redactUrl,
  REDIS_CLUSTER_NODES: (value) => value.split(',').map(redactUrl).join(','),
};

const envSchema = z.object({
  NODE_ENV: optional(
    z.enum(NODE_ENVS, { error: `must be one of ${NODE_ENVS.join(', ')}` }),
  ),
  PORT: optional(
    z.coerce
      .number({ error: 'must be a number' })
      .int('must be an integer')
      .min(0, 'must be from 0 to 65535')
      .max(65535, 'must be from 0 to 65535'),
  ),
  HOST: optional(z.string().trim().min(1)),
  CORS_ORIGIN: optional(
    z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((origin) => origin.trim())
          .filter((origin) => origin.length > 0),
      )
      .refine((origins) => origins.every(isOrigin), {
        error:
          'must be a comma-separated list of origins such as http://localhost:4200',
      }),
  ),
  STORE: optional(
    z.enum(STORE_KINDS, { error: `must be one of ${STORE_KINDS.join(', ')}` }),
  ),
  SQLITE_PATH: optional(z.string().trim().min(1)),
  HISTORY_LIMIT: optional(
    z.coerce
      .number({ error: 'must be a number' })
      .int('must be an integer')
      .min(1, `must be from 1 to ${HISTORY_LIMIT_MAX}`)
      .max(HISTORY_LIMIT_MAX, `must be from 1 to ${HISTORY_LIMIT_MAX}`),
  ),
  SESSION_TTL: optional(duration()),
  SESSION_PRUNE_INTERVAL: optional(duration(MAX_TIMER_MS)),
  WEB_DIST: optional(z.string().trim().min(1)),
  MAX_PAYLOAD_BYTES: optional(
    z.coerce
      .number({ error: 'must be a number' })
      .int('must be an integer')
      .min(1024, 'must be at least 1024'),
  ),
  METRICS_PORT: optional(
    z.coerce
      .number({ error: 'must be a number' })
      .int('must be an integer')
      .min(0, 'must be from 0 to 65535')
      .max(65535, 'must be from 0 to 65535'),
  ),
  METRICS_HOST: optional(z.string().trim().min(1)),
  RATE_LIMIT_PER_SECOND: optional(
    z.coerce
      .number({ error: 'must be a number' })
      .positive('must be greater than 0'),
  ),
  RATE_LIMIT_BURST: optional(
    z.coerce
      .number({ error: 'must be a number' })
      .int('must be an integer')
      .min(1),
  ),
  NEW_SESSIONS_PER_MINUTE: optional(positiveInteger()),
  MAX_CONNECTIONS_PER_ADDRESS: optional(positiveInteger()),
  TRUST_PROXY: optional(boolean()),
  DATABASE_URL: optional(
    z.string().trim().refine(isPostgresUrl, {
      error:
        'must be a postgres:// or postgresql:// URL such as postgres://localhost:5432/chat',
    }),
  ),
  PG_POOL_SIZE: optional(
    positiveInteger().max(
      PG_POOL_SIZE_MAX,
      `must be at most ${PG_POOL_SIZE_MAX}`,
    ),
  ),
  PG_CONNECT_TIMEOUT: optional(duration(MAX_TIMER_MS)),
  PG_QUERY_TIMEOUT: optional(duration(MAX_TIMER_MS)),
  PG_IDLE_TIMEOUT: optional(duration(MAX_TIMER_MS)),
  REDIS_URL: optional(
    z.string().trim().refine(isRedisUrl, {
      error:
        'must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379',
    }),
  ),
  REDIS_CLUSTER_NODES: optional(hostPortList()),
  REDIS_PREFIX: optional(
    z.string().regex(/^[\x21-\x7e]{1,64}$/, {
      error:
        'must be 1 to 64 printable ASCII characters without spaces, such as chat:',
    }),
  ),
  PRESENCE_NODE_TIMEOUT: optional(duration(UNIT_MS.d)),
  LOG_LEVEL: optional(
    z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
  ),
  CLUSTER_WORKERS: optional(
    z.coerce
      .number({ error: 'must be a number' })
      .int('must be an integer')
      .min(1, `must be from 1 to ${CLUSTER_WORKERS_MAX}`)
      .max(CLUSTER_WORKERS_MAX, `must be from 1 to ${CLUSTER_WORKERS_MAX}`),
  ),
});

/** Redis is used by STORE=redis, and by STORE=postgres when REDIS_URL or REDIS_CLUSTER_NODES is set. */
const usesRedis = (
  store: StoreKind,
  redisUrl: unknown,
  clusterNodes: unknown,
) =>
  store === 'redis' ||
  (store === 'postgres' &&
    (redisUrl !== undefined || clusterNodes !== undefined));

/** Settings that are only valid together. */
const checkedEnvSchema = envSchema.superRefine((env, ctx) => {
  const store = env.STORE ?? STORE_KINDS[0];
  if (
    (env.CLUSTER_WORKERS ?? 1) > 1 &&
    !usesRedis(store, env.REDIS_URL, env.REDIS_CLUSTER_NODES)
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['CLUSTER_WORKERS'],
      message: `more than 1 worker needs Redis, through which the workers share presence and broadcasts: STORE=redis, or STORE=postgres with REDIS_URL (STORE is ${store})`,
    });
  }
});

/**
 * Validates the environment and applies defaults. Throws `ConfigValidationError` listing every
 * bad variable, so a misconfigured process stops at once instead of failing later.
 */
export function validateEnv(
  raw: RawEnv,
  cwd: string = process.cwd(),
): AppConfig {
  const result = checkedEnvSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigValidationError(
      result.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        const value = raw[name];
        const shown =
          value !== undefined && REDACTED[name] ? REDACTED[name](value) : value;
        return `${name}: ${issue.message} (got ${JSON.stringify(shown)})`;
      }),
    );
  }
  const env = result.data;
  const nodeEnv = env.NODE_ENV ?? 'development';
  return {
    nodeEnv,
    port: env.PORT ?? 3000,
    host: env.HOST,
    // In production the web app is served by this same process: same origin, no CORS needed.
    corsOrigins:
      env.CORS_ORIGIN ??
      (nodeEnv === 'production' ? [] : [DEFAULT_DEV_CORS_ORIGIN]),
    store: env.STORE ?? STORE_KINDS[0],
    sqlitePath: resolveSqlitePath(env.SQLITE_PATH ?? DEFAULT_SQLITE_PATH, cwd),
    historyLimit: env.HISTORY_LIMIT ?? DEFAULT_HISTORY_LIMIT,
    sessionTtlMs: env.SESSION_TTL ?? DEFAULT_SESSION_TTL_MS,
    sessionPruneIntervalMs:
      env.SESSION_PRUNE_INTERVAL ?? DEFAULT_SESSION_PRUNE_INTERVAL_MS,
    webDist: resolve(cwd, env.WEB_DIST ?? DEFAULT_WEB_DIST),
    maxPayloadBytes: env.MAX_PAYLOAD_BYTES ?? DEFAULT_MAX_PAYLOAD_BYTES,
    metricsPort: env.METRICS_PORT,
    metricsHost: env.METRICS_HOST ?? DEFAULT_METRICS_HOST,
    rateLimit: {
      perSecond: env.RATE_LIMIT_PER_SECOND ?? 20,
      burst: env.RATE_LIMIT_BURST ?? 40,
    },
    newSessionLimit: newSessionLimit(
      env.NEW_SESSIONS_PER_MINUTE ?? DEFAULT_NEW_SESSIONS_PER_MINUTE,
    ),
    maxConnectionsPerAddress:
      env.MAX_CONNECTIONS_PER_ADDRESS ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
    trustProxy: env.TRUST_PROXY ?? false,
    databaseUrl: env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    postgresPool: {
      size: env.PG_POOL_SIZE ?? DEFAULT_POSTGRES_POOL.size,
      connectTimeoutMs:
        env.PG_CONNECT_TIMEOUT ?? DEFAULT_POSTGRES_POOL.connectTimeoutMs,
      queryTimeoutMs:
        env.PG_QUERY_TIMEOUT ?? DEFAULT_POSTGRES_POOL.queryTimeoutMs,
      idleTimeoutMs: env.PG_IDLE_TIMEOUT ?? DEFAULT_POSTGRES_POOL.idleTimeoutMs,
    },
    useRedis: usesRedis(
      env.STORE ?? STORE_KINDS[0],
      env.REDIS_URL,
      env.REDIS_CLUSTER_NODES,
    ),
    redisUrl: env.REDIS_URL ?? DEFAULT_REDIS_URL,
    redisClusterNodes: env.REDIS_CLUSTER_NODES,
    redisPrefix: env.REDIS_PREFIX ?? DEFAULT_REDIS_PREFIX,
    presenceNodeTimeoutMs:
      env.PRESENCE_NODE_TIMEOUT ?? DEFAULT_PRESENCE_NODE_TIMEOUT_MS,
    clusterWorkers: env.CLUSTER_WORKERS ?? 1,
    logLevel: env.LOG_LEVEL ?? 'info',
  };
}

/** N a minute, all of them at once if need be (a team signing up together). */
function newSessionLimit(perMinute: number): RateLimitConfig {
  return { perSecond: perMinute / 60, burst: perMinute };
}

/** Relative to the working directory; `:memory:` stays as is. */
function resolveSqlitePath(path: string, cwd: string): string {
  return path === SQLITE_IN_MEMORY ? path : resolve(cwd, path);
}
