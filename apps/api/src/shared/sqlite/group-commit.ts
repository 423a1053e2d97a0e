import type { Database } from 'better-sqlite3';
import { TurnCollector } from '../batching';

/**
 * A batch is committed at once when it reaches this many writes, rather than at the end of the
 * turn. Under load one turn can read more than a thousand messages (every socket's frames) and a
 * write waits for the whole turn: its message, promise and handler state then outlive a
 * young-generation collection and are copied into the old one. Measured (50 pairs, closed loop):
 * uncapped, 130–180 MB promoted per 100k messages and ~1.3 s of scavenge pauses; capped at 64,
 * 256 or 512, 23 MB and ~0.25 s (the raw socket.io reference: 19 MB, ~0.25 s); at 1024 it rises
 * again. Larger batches commit a little cheaper, so the largest that keeps writes short.
 */
export const MAX_BATCH = 256;

interface PendingWrite {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: every write asked for during one turn of the event loop runs in a single
 * transaction, at the end of that turn (`setImmediate`: after the I/O callbacks that asked), or as
 * soon as `maxBatch` writes wait (then within the `run` call that made it full), and each write's
 * promise settles only after that transaction has committed. The batches are TurnCollector's; the
 * writes run synchronously, in the transaction. One COMMIT for many
 * messages is several times cheaper than one each (measured: README, "Stores and data").
 *
 * If the batch fails, it is rolled back and each write is retried alone, so that one bad write
 * (a constraint violated) rejects only its own promise; a COMMIT that cannot succeed (disk full)
 * rejects them all. Writes run in the order they were asked for.
 *
 * Two hooks let a store do less per write: `atEndOfBatch` (a statement that many writes of a batch
 * share, run once), and `onRollback` (drop in-memory state that mirrored writes rolled back).
 */
export class GroupCommit {
  private readonly writes: TurnCollector<PendingWrite>;
  private closed = false;
  private readonly endOfBatch = new Set<() => void>();
  private readonly rollbackListeners: (() => void)[] = [];
  private readonly runBatch: {
    immediate: (batch: PendingWrite[]) => unknown[];
  };

  constructor(db: Database, maxBatch = MAX_BATCH) {
    this.runBatch = db.transaction((batch: PendingWrite[]) => {
      const results = batch.map((write) => write.work());
      for (const step of this.endOfBatch) step();
      return results;
    });
    this.writes = new TurnCollector((batch) => this.commitBatch(batch), {
      maxBatch,
      flushAt: 'end-of-turn',
      // Not from within a transaction (a write asked for by a write): that batch ends first.
      canFlushEarly: () => !db.inTransaction,
    });
  }

  /**
   * Runs `work` (synchronous statements on the database) in the next batch; resolves with its
   * result once committed. Rejects at once after `close()`.
   */
  run<T>(work: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('database is closed'));
    return new Promise<T>((resolve, reject) => {
      this.writes.add({
        work,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
    });
  }

  /**
   * From within a write: runs `step` once at the end of the batch being written, inside its
   * transaction, after all its writes (the same function asked for twice runs once).
   */
  atEndOfBatch(step: () => void): void {
    this.endOfBatch.add(step);
  }

  /** Calls `listener` after every rolled-back batch (before its writes are retried one by one). */
  onRollback(listener: () => void): void {
    this.rollbackListeners.push(listener);
  }

  /** Writes waiting for the next batch. */
  get size(): number {
    return this.writes.size;
  }

  /** Commits what is pending now (also done at the end of the turn). */
  flush(): void {
    this.writes.flush();
  }

  /** Commits what is pending, then refuses further writes. */
  close(): void {
    this.flush();
    this.closed = true;
  }

  private commitBatch(batch: PendingWrite[]): void {
    let results: unknown[];
    try {
      results = this.commit(batch);
    } catch (error) {
      if (batch.length === 1) batch[0].reject(error);
      else for (const write of batch) this.runAlone(write);
      return;
    }
    batch.forEach((write, i) => write.resolve(results[i]));
  }

  private runAlone(write: PendingWrite): void {
    try {
      write.resolve(this.commit([write])[0]);
    } catch (error) {
      write.reject(error);
    }
  }

  /** One transaction; throws once it is rolled back and the listeners are told. */
  private commit(batch: PendingWrite[]): unknown[] {
    try {
      // BEGIN IMMEDIATE: take the write lock up front rather than upgrading a read transaction.
      return this.runBatch.immediate(batch);
    } catch (error) {
      for (const listener of this.rollbackListeners) listener();
      throw error;
    } finally {
      this.endOfBatch.clear();
    }
  }
}
