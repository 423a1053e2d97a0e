import type { UserView } from '@chat/contracts';

/**
 * Orders the answers to `fetch users` and the events that came while they were on their way. A
 * request takes a tick when it is sent; a presence event or a deletion that comes after it is
 * newer than its answer, so the answer must not undo it.
 */
export class AnswerOrder {
  private tick = 0;
  /** Per user, the tick and state of the last presence event. */
  private readonly presence = new Map<
    string,
    [tick: number, connected: boolean]
  >();
  /** Per user forgotten by the server, the tick it happened. */
  private readonly forgotten = new Map<string, number>();

  /** A request goes now: the tick its answer is compared with. */
  sent(): number {
    return ++this.tick;
  }

  /** A presence event: newer than the answers to every request sent so far. */
  presenceChanged(userID: string, connected: boolean): void {
    this.presence.set(userID, [++this.tick, connected]);
  }

  /** The server forgot this user: answers to requests sent before leave them out. */
  forgot(userID: string): void {
    this.presence.delete(userID);
    this.forgotten.set(userID, ++this.tick);
  }

  /** Requests from now on are answered after every event we were told of. */
  clear(): void {
    this.presence.clear();
    this.forgotten.clear();
  }

  /**
   * The answer to a request sent at `sentAt`, brought up to date with the events that came after
   * it: their presence wins, and the users forgotten since are left out.
   */
  current(views: readonly UserView[], sentAt: number): readonly UserView[] {
    return views.flatMap((view) => {
      if ((this.forgotten.get(view.userID) ?? 0) > sentAt) return [];
      const event = this.presence.get(view.userID);
      return event && event[0] > sentAt
        ? [{ ...view, connected: event[1] }]
        : [view];
    });
  }
}
