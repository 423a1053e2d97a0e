import { z } from 'zod';

/*
 * What one variable's value may be: the kinds of value the environment schema (app-config) is
 * built from, each with the message a bad value gets.
 */

export const SECOND = 1000;
export const UNIT_MS = {
  s: SECOND,
  m: 60 * SECOND,
  h: 3600 * SECOND,
  d: 86400 * SECOND,
};

/** Longest delay setInterval accepts (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Unset or '': deployment tools often set a variable to '' to mean "unset". */
export const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess(
    (value) => (value === '' ? undefined : value),
    schema.optional(),
  );

export const isPostgresUrl = (value: string): boolean => {
  try {
    const url = new URL(value);
    return url.protocol === 'postgres:' || url.protocol === 'postgresql:';
  } catch {
    return false;
  }
};

export const isRedisUrl = (value: string): boolean => {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'redis:' || url.protocol === 'rediss:') &&
      url.hostname !== ''
    );
  } catch {
    return false;
  }
};

/**
 * A cluster node's address, `host:port` (an IPv6 host in brackets: `[::1]:7000`), or
 * `redis://[user:password@]host:port` to give the cluster's credentials.
 */
export interface HostPort {
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** Given as `rediss://`: the cluster is reached over TLS. */
  tls?: true;
}

/** A node of REDIS_CLUSTER_NODES, or undefined (a port from 1 to 65535 is required). */
export const parseHostPort = (value: string): HostPort | undefined => {
  const trimmed = value.trim();
  const tls = trimmed.startsWith('rediss://');
  if (tls || trimmed.startsWith('redis://')) {
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      return undefined;
    }
    const address = parseHostPort(`${url.hostname}:${url.port}`);
    if (!address || !['', '/'].includes(url.pathname) || url.search)
      return undefined;
    const username = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    return {
      ...address,
      ...(username && { username }),
      ...(password && { password }),
      ...(tls && { tls }),
    };
  }
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]/@,]+)):(\d{1,5})$/.exec(
    trimmed,
  );
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) return undefined;
  return { host: match[1] ?? match[2], port };
};

/** A comma-separated list of `host:port` (REDIS_CLUSTER_NODES). */
export const hostPortList = () =>
  z
    .string()
    .transform((value) => value.split(',').map(parseHostPort))
    .refine((nodes) => nodes.every((node) => node !== undefined), {
      error:
        'must be a comma-separated list of host:port (or redis://user:password@host:port, rediss:// for TLS) such as 10.0.0.1:7000,10.0.0.2:7000',
    })
    .transform((nodes) => nodes as HostPort[]);

export const isOrigin = (value: string): boolean => {
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
export const duration = (max = Number.MAX_SAFE_INTEGER) =>
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
      error: `must be at most ${Math.floor(max / UNIT_MS.d)} day${
        Math.floor(max / UNIT_MS.d) === 1 ? '' : 's'
      }`,
    });

/** A whole number from 1 up. */
export const positiveInteger = () =>
  z.coerce
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(1, 'must be at least 1');

/** A switch: `true`, `false`, `1` or `0`, in any case. */
export const boolean = () =>
  z
    .string()
    .trim()
    .regex(/^(true|false|1|0)$/i, { error: 'must be true, false, 1 or 0' })
    .transform((value) => /^(true|1)$/i.test(value));
