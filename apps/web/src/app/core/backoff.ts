/**
 * One retry timer whose delay grows: the first wait is `initialMs`, each next one twice the
 * last, up to `maxMs`, until `reset()` (a success) starts over. One task at a time: scheduling
 * again replaces the task that was waiting.
 */
export class Backoff {
  private delayMs: number;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {
    this.delayMs = initialMs;
  }

  /** A task is waiting for its turn. */
  get scheduled(): boolean {
    return this.timer !== undefined;
  }

  /** Runs `task` after the current delay (instead of any task waiting), and grows the delay. */
  schedule(task: () => void): void {
    this.cancel();
    const delay = this.delayMs;
    this.delayMs = Math.min(delay * 2, this.maxMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      task();
    }, delay);
  }

  /** The waiting task will not run; the delay stays as it grew. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The next delay is the first one again; a task already waiting keeps its time. */
  reset(): void {
    this.delayMs = this.initialMs;
  }
}
