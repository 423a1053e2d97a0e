import { resolve } from 'node:path';
import { z } from 'zod';

/** Store implementations that can be chosen with `STORE` (the first is the default). Add `redis` here and in stores.module. */
export const STORE_KINDS = ['sqlite', 'memory'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export const NODE_ENVS = ['development', 'production', 'test'] as const;
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
  rateLimit: RateLimitConfig;
}

export interface RateLimitConfig {
  /** Tokens refilled per second, per user. */
  perSecond: number;
  /** Bucket size: messages a user may send in one burst. */
  burst: number;
}

/** Raw variables as they come from `process.env` (or a test's overrides). */
export type RawEnv = Record<string, string | undefined>;

export const DEFAULT_DEV_CORS_ORIGIN = 'http://localhost:4200';
export const DEFAULT_WEB_DIST = 'dist/apps/web/browser';
export const DEFAULT_SQLITE_PATH = 'data/chat.sqlite';
/** SQLite's name for a private, in-process database (tests). */
export const SQLITE_IN_MEMORY = ':memory:';
export const DEFAULT_HISTORY_LIMIT = 50;
export const HISTORY_LIMIT_MAX = 1000;
const SECOND = 1000;
const UNIT_MS = {
  s: SECOND,
  m: 60 * SECOND,
  h: 3600 * SECOND,
  d: 86400 * SECOND,
};
export const DEFAULT_SESSION_TTL_MS = 7 * UNIT_MS.d;
export const DEFAULT_SESSION_PRUNE_INTERVAL_MS = UNIT_MS.h;
/** Longest delay setInterval accepts (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Thrown when the environment holds a bad value: startup stops with this message. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigValidationError';
  }
}

// Deployment tools often set a variable to '' to mean "unset".
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess(
    (value) => (value === '' ? undefined : value),
    schema.optional(),
  );

const isOrigin = (value: string): boolean => {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
};

/**
 * A duration: a number of seconds (`3600`) or a number with a unit s, m, h or d (`90s`, `12h`,
 * `7d`); in milliseconds, at least one second.
 */
const duration = (max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?\s*[smhd]?$/i, {
      error: 'must be a duration such as 3600, 90s, 30m, 12h or 7d',
    })
    .transform((value) => {
      const unit = value.at(-1)?.toLowerCase() ?? '';
      const ms = UNIT_MS[unit as keyof typeof UNIT_MS];
      return ms === undefined
        ? Math.round(Number(value) * SECOND)
        : Math.round(Number.parseFloat(value) * ms);
    })
    .refine((ms) => ms >= SECOND, { error: 'must be at least 1 second' })
    .refine((ms) => ms <= max, {
      error: `must be at most ${Math.floor(max / UNIT_MS.d)} days`,
    });

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
});

/**
 * Validates the environment and applies defaults. Throws `ConfigValidationError` listing every
 * bad variable, so a misconfigured process stops at once instead of failing later.
 */
export function validateEnv(
  raw: RawEnv,
  cwd: string = process.cwd(),
): AppConfig {
  const result = envSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigValidationError(
      result.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        return `${name}: ${issue.message} (got ${JSON.stringify(raw[name])})`;
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
    // 2 MiB: a 1 MB message still reaches the validator and is answered `too large`.
    maxPayloadBytes: env.MAX_PAYLOAD_BYTES ?? 2 * 1024 * 1024,
    rateLimit: {
      perSecond: env.RATE_LIMIT_PER_SECOND ?? 20,
      burst: env.RATE_LIMIT_BURST ?? 40,
    },
  };
}

/** Relative to the working directory; `:memory:` stays as is. */
function resolveSqlitePath(path: string, cwd: string): string {
  return path === SQLITE_IN_MEMORY ? path : resolve(cwd, path);
}
