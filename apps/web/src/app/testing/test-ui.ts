import {
  type EnvironmentProviders,
  type Provider,
  signal,
} from '@angular/core';
import {
  type Routes,
  provideRouter,
  withComponentInputBinding,
} from '@angular/router';
import { CLOCK, type Clock } from '../core/clock';
import { TIME_FORMAT, TimeFormat } from '../ui/time-format';

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  private readonly time = signal(Date.parse('2026-11-30T18:00:00Z'));
  readonly now = this.time.asReadonly();
  set(iso: string): void {
    this.time.set(Date.parse(iso));
  }
}

/**
 * What the components need around them in a test: a router (their links; `routes`), times in en-GB and
 * UTC whatever the machine's, and a clock held at 30 November 2026, 18:00 UTC (or `clock`).
 */
export function provideTestUi(
  clock = new ManualClock(),
  routes: Routes = [],
): (Provider | EnvironmentProviders)[] {
  return [
    provideRouter(routes, withComponentInputBinding()),
    {
      provide: TIME_FORMAT,
      useValue: new TimeFormat({ locale: 'en-GB', timeZone: 'UTC' }),
    },
    { provide: CLOCK, useValue: clock },
  ];
}
