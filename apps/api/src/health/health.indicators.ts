import { Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { MessageStore } from '../messaging/stores/message.store';
import { PostgresDatabase } from '../shared/postgres/postgres-database';
import { RedisConnection } from '../shared/redis/redis-connection';

/** A readiness probe waits for its checks at most this long (Kubernetes' default probe timeout is 1 s). */
export const HEALTH_CHECK_TIMEOUT_MS = 800;

/** Rejects after `ms` unless `work` settles first. */
async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const reason = (error: unknown) =>
  error instanceof Error ? error.message : String(error);

/**
 * The store answers a read: the newest message id (SQLite: a query; Redis: a ZRANGE; memory:
 * always). Store-agnostic: any MessageStore implementation is probed the same way.
 */
@Injectable()
export class StoreHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly messages: MessageStore,
  ) {}

  async check(key: string) {
    const indicator = this.indicators.check(key);
    try {
      await within(
        this.messages.findLatestMessageID(),
        HEALTH_CHECK_TIMEOUT_MS,
      );
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: reason(error) });
    }
  }
}

/**
 * Redis (STORE=redis) answers a PING on the store client (on a cluster: every master), and none
 * of this node's clients (the socket.io adapter's included) is reconnecting. Up when Redis is not
 * used.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Optional() private readonly redis?: RedisConnection,
  ) {}

  get used(): boolean {
    return this.redis !== undefined;
  }

  async check(key: string) {
    const indicator = this.indicators.check(key);
    const redis = this.redis;
    if (!redis) return indicator.up();
    try {
      await within(redis.ping(), HEALTH_CHECK_TIMEOUT_MS);
      if (!redis.allConnected)
        return indicator.down({ message: 'a Redis client is reconnecting' });
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: reason(error) });
    }
  }
}

/** PostgreSQL (STORE=postgres) answers a query through the pool. Up when it is not used. */
@Injectable()
export class PostgresHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Optional() private readonly postgres?: PostgresDatabase,
  ) {}

  get used(): boolean {
    return this.postgres !== undefined;
  }

  async check(key: string) {
    const indicator = this.indicators.check(key);
    const postgres = this.postgres;
    if (!postgres) return indicator.up();
    try {
      await within(postgres.ping(), HEALTH_CHECK_TIMEOUT_MS);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: reason(error) });
    }
  }
}
