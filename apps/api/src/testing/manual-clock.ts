import { Clock } from '../shared/clock';

/** A clock that moves only when the test says so. */
export class ManualClock extends Clock {
  constructor(private time = Date.UTC(2025, 0, 1)) {
    super();
  }

  now(): number {
    return this.time;
  }

  advance(ms: number): void {
    this.time += ms;
  }
}
