import { Global, Module, type DynamicModule } from '@nestjs/common';

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

/** Provides `Clock` everywhere: the system clock, or the one given (tests). */
@Global()
@Module({})
export class ClockModule {
  static forRoot(clock: Clock = systemClock): DynamicModule {
    return {
      module: ClockModule,
      providers: [{ provide: Clock, useValue: clock }],
      exports: [Clock],
    };
  }
}
