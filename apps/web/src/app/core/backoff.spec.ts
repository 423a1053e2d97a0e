import { Backoff } from './backoff';

describe('Backoff', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** When each run of `task` happened, in ms after the first `schedule`. */
  function runs(backoff: Backoff, times: number): number[] {
    const start = Date.now();
    const at: number[] = [];
    for (let i = 0; i < times; i++) {
      backoff.schedule(() => at.push(Date.now() - start));
      while (backoff.scheduled) jest.advanceTimersByTime(1);
    }
    return at;
  }

  it('doubles the delay from the first one up to the cap', () => {
    expect(runs(new Backoff(100, 400), 5)).toEqual([100, 300, 700, 1100, 1500]);
  });

  it('starts over after reset, without moving a task already waiting', () => {
    const backoff = new Backoff(100, 400);
    runs(backoff, 2);
    const task = jest.fn();
    backoff.schedule(task);
    backoff.reset();
    jest.advanceTimersByTime(399);
    expect(task).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(task).toHaveBeenCalledTimes(1);
    expect(runs(backoff, 1)).toEqual([100]);
  });

  it('runs one task at a time: a new one replaces the one waiting, cancel drops it', () => {
    const backoff = new Backoff(100, 400);
    const first = jest.fn();
    const second = jest.fn();
    backoff.schedule(first);
    backoff.schedule(second);
    jest.advanceTimersByTime(200);
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledTimes(1);
    expect(backoff.scheduled).toBe(false);
    backoff.schedule(first);
    expect(backoff.scheduled).toBe(true);
    backoff.cancel();
    expect(backoff.scheduled).toBe(false);
    jest.advanceTimersByTime(10_000);
    expect(first).not.toHaveBeenCalled();
  });
});
