/**
 * Tells a current answer from a stale one. A request takes a `token()` when it is sent; `next()`
 * (a restart, a new identity, a logout) makes every token taken before it stale, so the answers
 * to those requests are ignored when they come.
 */
export class Generation {
  private value = 0;

  /** The token of a request sent now. */
  token(): number {
    return this.value;
  }

  /** Every token taken so far is stale from now on. */
  next(): void {
    this.value++;
  }

  isCurrent(token: number): boolean {
    return token === this.value;
  }
}
