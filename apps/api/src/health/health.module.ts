import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import {
  PostgresHealthIndicator,
  RedisHealthIndicator,
  StoreHealthIndicator,
} from './health.indicators';

/** `/healthz` and `/readyz` with @nestjs/terminus; the stores and Redis come from global modules. */
@Module({
  // A failed check is logged as one JSON record, not a multi-line table.
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [HealthController],
  providers: [
    StoreHealthIndicator,
    RedisHealthIndicator,
    PostgresHealthIndicator,
  ],
})
export class HealthModule {}
