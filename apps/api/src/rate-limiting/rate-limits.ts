import type { RateLimiter } from './stores/rate-limiter';

/** What the chat rate-limits, each with budgets of its own. */
export class RateLimits {
  constructor(
    /** Per user (RATE_LIMIT_*): sends; and, in a bucket of their own, `fetch messages` and `fetch users`. */
    readonly messages: RateLimiter,
    /** Per client address (NEW_SESSIONS_PER_MINUTE): handshakes that start a new session. */
    readonly newSessions: RateLimiter,
  ) {}
}
