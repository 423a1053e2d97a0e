import { DEFAULT_SESSION_TTL_MS } from '../../config/app-config';
import { systemClock, type Clock } from '../../shared/clock';

/** What every session store is built with. */
export interface SessionStoreOptions {
  /** Inactivity (ms) after which a session that is not connected is expired. */
  ttlMs: number;
  /** The time expiry is measured against. */
  clock: Clock;
}

/** `options`, the rest from the defaults (SESSION_TTL's, the system clock): tests give only what they need. */
export const sessionStoreOptions = (
  options: Partial<SessionStoreOptions>,
): SessionStoreOptions => ({
  ttlMs: DEFAULT_SESSION_TTL_MS,
  clock: systemClock,
  ...options,
});
