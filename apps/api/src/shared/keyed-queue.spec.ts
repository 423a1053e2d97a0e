import { KeyedQueue } from './keyed-queue';

/** A task the test finishes by hand. */
function deferred() {
  let resolve: () => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('KeyedQueue', () => {
  it('runs tasks of one key one at a time, in call order', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const first = deferred();
    const a = queue.run('k', async () => {
      log.push('a start');
      await first.promise;
      log.push('a end');
    });
    const b = queue.run('k', async () => {
      log.push('b');
    });
    await Promise.resolve();
    expect(log).toEqual(['a start']);
    first.resolve();
    await Promise.all([a, b]);
    expect(log).toEqual(['a start', 'a end', 'b']);
  });

  it('runs different keys concurrently', async () => {
    const queue = new KeyedQueue();
    const held = deferred();
    const a = queue.run('a', () => held.promise);
    await expect(queue.run('b', async () => 'b done')).resolves.toBe('b done');
    held.resolve();
    await a;
  });

  it('passes results and errors to the caller, and a failure does not block the next task', async () => {
    const queue = new KeyedQueue();
    const failing = queue.run('k', async () => {
      throw new Error('boom');
    });
    const next = queue.run('k', async () => 42);
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe(42);
  });

  it('forgets a key once its tasks are done', async () => {
    const queue = new KeyedQueue();
    await queue.run('k', async () => undefined);
    // Cleanup is chained after the result: let every pending microtask run.
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.size).toBe(0);
  });
});
