/**
 * Wall-clock time in milliseconds since the epoch. An abstract class so that it is also the DI
 * token: message times, session last-seen times and expiry all read it, and tests replace it.
 */
export abstract class Clock {
  abstract now(): number;
}

export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }
}

export const systemClock: Clock = new SystemClock();
