import { TYPING_BUDGET } from '@chat/contracts';

/**
 * Our `typing: true` notices to one recipient, paced to what the server forwards (PROTOCOL: a
 * bucket of 2, refilled at 2 a second), so that none is dropped on the way and the indicator
 * shows for a quick retype too. Refilled a little slower than the server's bucket: notices may
 * arrive closer together than they left.
 */
export class TypingBudget {
  private static readonly perMs = (TYPING_BUDGET.perSecond * 0.9) / 1000;
  private tokens: number = TYPING_BUDGET.burst;

  constructor(private at: number) {}

  /** Milliseconds until a notice may go (0: now). */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1
      ? 0
      : Math.ceil((1 - this.tokens) / TypingBudget.perMs);
  }

  /** Takes a token, if there is one. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Full again: nothing sent lately, the budget can be forgotten. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= TYPING_BUDGET.burst;
  }

  private refill(now: number): void {
    this.tokens = Math.min(
      TYPING_BUDGET.burst,
      this.tokens + Math.max(0, now - this.at) * TypingBudget.perMs,
    );
    this.at = now;
  }
}
