import { TurnCollector } from '../batching';

/**
 * At most this many writes in one transaction: as with SQLite's group commit (shared/sqlite), a
 * larger batch keeps each write's objects alive longer than a young-generation collection.
 */
export const MAX_BATCH = 256;

interface Pending<In, Out> {
  input: In;
  resolve: (output: Out) => void;
  reject: (error: unknown) => void;
}

/**
 * Commits one batch (a transaction, or a single statement, which commits by itself) and answers
 * every input, in order: an `Error` rejects that write alone.
 */
export type CommitBatch<In, Out> = (inputs: In[]) => Promise<(Out | Error)[]>;

/**
 * SQLSTATE classes of errors that belong to one write rather than to the batch or the server:
 * data (22), integrity constraint (23), transaction rollback (40: a deadlock between two nodes'
 * batches, a serialization failure). A batch failing so is retried write by write.
 */
const WRITE_ERROR_CLASSES = new Set(['22', '23', '40']);

const isWriteError = (error: unknown): boolean => {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && WRITE_ERROR_CLASSES.has(code.slice(0, 2));
};

/**
 * Group commit on PostgreSQL: the writes asked for during one turn of the event loop (TurnCollector)
 * are committed together, and each write's promise settles once they are. One batch is in flight
 * at a time: the writes asked for meanwhile wait and go together in the next one (at most
 * `maxBatch` each), so batches grow with the load and commit in the order asked.
 *
 * A batch that fails for one write's sake (`isWriteError`) is retried write by write, so that one
 * bad write rejects only its own promise; any other failure (the server away) rejects them all.
 */
export class PostgresGroupCommit<In, Out> {
  private readonly collector: TurnCollector<Pending<In, Out>>;
  private readonly queue: Pending<In, Out>[] = [];
  private draining: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly commitBatch: CommitBatch<In, Out>,
    private readonly maxBatch = MAX_BATCH,
  ) {
    this.collector = new TurnCollector(
      (batch) => {
        for (const write of batch) this.queue.push(write);
        this.draining ??= this.drain();
      },
      { maxBatch, flushAt: 'end-of-turn' },
    );
  }

  /** Writes `input` in the next batch; resolves with its output once committed. */
  add(input: In): Promise<Out> {
    if (this.closed) return Promise.reject(new Error('database is closed'));
    return new Promise<Out>((resolve, reject) =>
      this.collector.add({ input, resolve, reject }),
    );
  }

  /** Commits what is pending, then refuses further writes. */
  async close(): Promise<void> {
    this.collector.flush();
    this.closed = true;
    await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0)
        await this.commit(this.queue.splice(0, this.maxBatch));
    } finally {
      this.draining = undefined;
    }
  }

  private async commit(batch: Pending<In, Out>[]): Promise<void> {
    let outputs: (Out | Error)[];
    try {
      outputs = await this.commitBatch(batch.map((w) => w.input));
    } catch (error) {
      if (batch.length > 1 && isWriteError(error))
        for (const write of batch) await this.commit([write]);
      else for (const write of batch) write.reject(error);
      return;
    }
    batch.forEach((write, i) => {
      const output = outputs[i];
      if (output instanceof Error) write.reject(output);
      else write.resolve(output);
    });
  }
}
