/** When a turn's collected items are handed over. */
export type FlushAt =
  /** `setImmediate`: after the I/O callbacks of this turn, so that they all add to the batch. */
  | 'end-of-turn'
  /** `process.nextTick`: before any I/O, once the code that is running now is done. */
  | 'next-tick';

export interface TurnCollectorOptions {
  /** At this many items the batch is handed over at once rather than at `flushAt`. */
  maxBatch: number;
  flushAt: FlushAt;
  /** Whether a full batch may be handed over right now; if not, it waits for `flushAt`. */
  canFlushEarly?: () => boolean;
}

/**
 * The one mechanism behind every batched write of the api: collects the items of one turn of the
 * event loop and hands them to `flushBatch` together, once the turn is over (`flushAt`) or as soon
 * as `maxBatch` wait, whichever comes first; in the order they were added. Under load one turn
 * reads hundreds of client frames: one write for all their messages instead of one each.
 *
 * What a batch is written as, and how each item learns its result, is the caller's: TurnBatch
 * (below: Redis commands), GroupCommit (shared/sqlite: a SQLite transaction, written
 * synchronously, retried item by item).
 */
export class TurnCollector<T> {
  private pending: T[] = [];
  private scheduled: NodeJS.Immediate | true | undefined;

  constructor(
    private readonly flushBatch: (batch: T[]) => void,
    private readonly options: TurnCollectorOptions,
  ) {}

  add(item: T): void {
    this.pending.push(item);
    const { maxBatch, canFlushEarly } = this.options;
    if (this.pending.length >= maxBatch && (canFlushEarly?.() ?? true))
      this.flush();
    else if (this.scheduled === undefined) this.schedule();
  }

  /** Hands over what is pending now (also what the end of the turn does). */
  flush(): void {
    if (this.scheduled !== undefined && this.scheduled !== true)
      clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.flushBatch(batch);
  }

  /** Items waiting for the next batch. */
  get size(): number {
    return this.pending.length;
  }

  private schedule(): void {
    if (this.options.flushAt === 'end-of-turn') {
      this.scheduled = setImmediate(() => this.flush());
      return;
    }
    // A tick cannot be cancelled: one that finds the batch already handed over hands over
    // whatever was added since.
    this.scheduled = true;
    process.nextTick(() => this.flush());
  }
}

interface Pending<In, Out> {
  input: In;
  resolve: (output: Out) => void;
  reject: (error: unknown) => void;
}

/**
 * Asynchronous calls batched per turn: every `add` of one turn of the event loop goes to one `run`
 * at its end (`setImmediate`): one Redis command for every caller of the turn instead of one each.
 * Under load, a socket write to Redis per call was the largest cost, and one turn reads many client
 * frames. At most `maxBatch` inputs go in one run (a burst after a stall): the rest in the next.
 */
export class TurnBatch<In, Out> {
  private readonly collector: TurnCollector<Pending<In, Out>>;

  /**
   * `run` answers every input, in order: an `Error` rejects that caller alone; a rejected run
   * rejects them all.
   */
  constructor(
    private readonly run: (inputs: In[]) => Promise<(Out | Error)[]>,
    maxBatch: number,
  ) {
    this.collector = new TurnCollector((batch) => void this.settle(batch), {
      maxBatch,
      flushAt: 'end-of-turn',
    });
  }

  add(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.collector.add({ input, resolve, reject });
    });
  }

  private async settle(batch: Pending<In, Out>[]): Promise<void> {
    try {
      const outputs = await this.run(batch.map(({ input }) => input));
      batch.forEach(({ resolve, reject }, i) => {
        const output = outputs[i];
        if (output instanceof Error) reject(output);
        else resolve(output);
      });
    } catch (error) {
      for (const { reject } of batch) reject(error);
    }
  }
}
