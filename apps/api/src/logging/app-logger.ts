import type { LoggerService, LogLevel } from '@nestjs/common';
import { LOG_LEVELS, type AppConfig } from '../config/app-config';
import { createPino, PinoLogger } from './pino-logger';

/** Nest's levels for each LOG_LEVEL: that level and every more severe one. */
const NEST_LEVELS: Record<(typeof LOG_LEVELS)[number], LogLevel> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'log',
  debug: 'debug',
  trace: 'verbose',
};

/**
 * The logger of the process: in production one JSON line per record (pino), for log collectors;
 * otherwise Nest's readable console lines. Both at LOG_LEVEL.
 */
export function appLogger(
  config: Pick<AppConfig, 'nodeEnv' | 'logLevel'>,
): LoggerService | LogLevel[] {
  if (config.nodeEnv === 'production')
    return new PinoLogger(createPino(config.logLevel));
  const upTo = LOG_LEVELS.indexOf(config.logLevel);
  return LOG_LEVELS.slice(0, upTo + 1).map((level) => NEST_LEVELS[level]);
}
