import { Global, Module, type DynamicModule } from '@nestjs/common';
import { Clock, systemClock } from './clock';
import { IdGenerator } from './ids';

/**
 * Provides what every capability may use: `Clock` (the system clock, or the one given: tests) and
 * `IdGenerator` (message ids from that clock; MessagingService seeds it from the store at start).
 */
@Global()
@Module({})
export class SharedModule {
  static forRoot(clock: Clock = systemClock): DynamicModule {
    return {
      module: SharedModule,
      providers: [
        { provide: Clock, useValue: clock },
        { provide: IdGenerator, useValue: new IdGenerator(() => clock.now()) },
      ],
      exports: [Clock, IdGenerator],
    };
  }
}
