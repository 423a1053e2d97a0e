import {
  DestroyRef,
  Injectable,
  InjectionToken,
  type Signal,
  inject,
  signal,
} from '@angular/core';

/** How often the shared clock moves on: relative times ("5 minutes ago") are never older. */
export const CLOCK_TICK_MS = 20_000;

/** The time now, for what the screen says relative to it (last seen, today, yesterday). */
export interface Clock {
  /** Milliseconds since the epoch, moving on every CLOCK_TICK_MS. */
  readonly now: Signal<number>;
}

/**
 * One clock for the whole app: a signal that moves on at a steady pace, so every "last seen"
 * and every "Today" refreshes with one timer, not one per row.
 */
@Injectable({ providedIn: 'root' })
export class TickingClock implements Clock {
  private readonly time = signal(Date.now());
  readonly now = this.time.asReadonly();

  constructor() {
    const timer = setInterval(() => this.time.set(Date.now()), CLOCK_TICK_MS);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }
}

export const CLOCK = new InjectionToken<Clock>('Clock', {
  providedIn: 'root',
  factory: () => inject(TickingClock),
});
