import { Logger } from '@nestjs/common';
import { ErrorCode } from '@chat/contracts';
import { describeError } from '../shared/describe-error';
import type { RateLimiter } from './stores/rate-limiter';

/**
 * What the chat rate-limits, each with budgets of its own. Each method takes a token from its
 * bucket and resolves with the error to answer with if there is none, or if the buckets cannot be
 * reached (Redis away: nothing could be stored or read either); undefined if the action may go on.
 */
export class RateLimits {
  private readonly logger = new Logger('RateLimits');

  constructor(
    /**
     * Per user (RATE_LIMIT_*): sends; in a bucket of their own, `fetch messages` and `fetch users`;
     * in a third, `receipt` and `settings`.
     */
    readonly messages: RateLimiter,
    /** Per client address (NEW_SESSIONS_PER_MINUTE): handshakes that start a new session. */
    readonly newSessions: RateLimiter,
  ) {}

  /** A `private message` of `userID` (counted before validation, so floods of garbage are too). */
  message(userID: string): Promise<ErrorCode | undefined> {
    return this.spend(this.messages, userID);
  }

  /**
   * A `fetch messages` or `fetch users` of `userID`: a bucket of its own (same rate as messages),
   * so reading back through a long conversation never costs the right to send. UserIDs have no ':'.
   */
  fetch(userID: string): Promise<ErrorCode | undefined> {
    return this.spend(this.messages, `fetch:${userID}`);
  }

  /**
   * A `receipt` or a `settings` change of `userID`: a bucket of their own (same rate as messages),
   * so that keeping read state in sync never costs the right to send or to read history.
   */
  receipt(userID: string): Promise<ErrorCode | undefined> {
    return this.spend(this.messages, `receipt:${userID}`);
  }

  /** A handshake that starts a new session, from a client address (or IPv6 /64). */
  newSession(address: string): Promise<ErrorCode | undefined> {
    return this.spend(this.newSessions, `new-session:${address}`);
  }

  private async spend(
    limiter: RateLimiter,
    bucket: string,
  ): Promise<ErrorCode | undefined> {
    try {
      if (await limiter.take(bucket)) return undefined;
      return ErrorCode.RateLimited;
    } catch (error) {
      this.logger.error(
        `reading the rate limit of ${bucket} failed: ${describeError(error)}`,
      );
      return ErrorCode.Unavailable;
    }
  }
}
