import type { LoggerService } from '@nestjs/common';
import type { LogLevelName } from '../config/app-config';
import {
  pino,
  stdTimeFunctions,
  type DestinationStream,
  type Logger,
  type LevelWithSilent,
} from 'pino';

/**
 * Fields never written, wherever they appear in a logged object: secrets (a sessionID is a bearer
 * token) and what users wrote. The chat's own messages name users by their public userID only.
 */
export const REDACTED_FIELDS = [
  'sessionID',
  'auth',
  'content',
  'password',
  'authorization',
  'cookie',
];

const redactPaths = REDACTED_FIELDS.flatMap((field) => [
  field,
  `*.${field}`,
  `*.*.${field}`,
]);

/** Nest's log methods and the pino levels they write. */
const LEVEL_OF = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
} as const satisfies Record<string, LevelWithSilent>;

/** pino writing one JSON object per line to `destination` (stdout by default). */
export function createPino(
  level: LogLevelName = 'info',
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level,
      // "level":"info" rather than 30: readable without a lookup table.
      formatters: { level: (label) => ({ level: label }) },
      timestamp: stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: '[redacted]' },
    },
    destination,
  );
}

/**
 * Nest's LoggerService on pino: every record one JSON line (production), with `context` (the
 * Logger's name) as a field, an error's stack as `stack`, objects merged as fields (redacted).
 * Nest calls `log(message, context?)` and `error(message, stack?, context?)`.
 */
export class PinoLogger implements LoggerService {
  constructor(private readonly logger: Logger = createPino()) {}

  fatal(message: unknown, ...optional: unknown[]): void {
    this.write('fatal', message, optional);
  }
  error(message: unknown, ...optional: unknown[]): void {
    this.write('error', message, optional);
  }
  warn(message: unknown, ...optional: unknown[]): void {
    this.write('warn', message, optional);
  }
  log(message: unknown, ...optional: unknown[]): void {
    this.write('log', message, optional);
  }
  debug(message: unknown, ...optional: unknown[]): void {
    this.write('debug', message, optional);
  }
  verbose(message: unknown, ...optional: unknown[]): void {
    this.write('verbose', message, optional);
  }

  private write(
    method: keyof typeof LEVEL_OF,
    message: unknown,
    optional: unknown[],
  ): void {
    const level = LEVEL_OF[method];
    if (!this.logger.isLevelEnabled(level)) return;
    const rest = [...optional];
    const fields: Record<string, unknown> = {};
    // Nest appends the Logger's context last; an error's stack comes before it.
    if (typeof rest.at(-1) === 'string') fields['context'] = rest.pop();
    if (method === 'error' && typeof rest[0] === 'string')
      fields['stack'] = rest.shift();
    if (message instanceof Error) {
      this.logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ ...fields, ...message });
    } else {
      this.logger[level](fields, String(message));
    }
  }
}
