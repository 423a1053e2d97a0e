import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import {
  PostgresHealthIndicator,
  RedisHealthIndicator,
  StoreHealthIndicator,
} from './health.indicators';

/**
 * Probes for load balancers and orchestrators (README, "Health checks"):
 * - `GET /healthz`, liveness: the process serves HTTP. Nothing else is checked, so that a store
 *   outage never gets a healthy process restarted;
 * - `GET /readyz`, readiness: its store answers, and PostgreSQL and Redis when they are used; 503 otherwise (send no
 *   new clients here meanwhile).
 */
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly store: StoreHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly postgres: PostgresHealthIndicator,
  ) {}

  @Get('healthz')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('readyz')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.store.check('store'),
      ...(this.postgres.used ? [() => this.postgres.check('postgres')] : []),
      ...(this.redis.used ? [() => this.redis.check('redis')] : []),
    ]);
  }
}
