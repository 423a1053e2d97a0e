import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  Kysely,
  PostgresDialect,
  sql,
  type Migration,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import {
  DEFAULT_POSTGRES_POOL,
  type PostgresPoolConfig,
} from '../../config/app-config';
import { MIGRATIONS, migrate } from './migrations';
import { PostgresGroupCommit, type CommitBatch } from './group-commit';
import type { Schema } from './schema';

/** int8 (bigint: times in ms, counters) as a JS number: every value kept fits in 2^53. */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** A write of the generic group commit: statements on the batch's transaction. */
export type Write<T = unknown> = (trx: Transaction<Schema>) => Promise<T>;

/** Writes one batch inside its transaction; answers every input, in order. */
export type RunBatch<In, Out> = (
  trx: Transaction<Schema>,
  inputs: In[],
) => Promise<Out[]>;

/**
 * The PostgreSQL database of the chat (`STORE=postgres`): a connection pool (pg) behind a typed
 * query builder (Kysely), migrated on open, closed on shutdown. Reads go straight to the pool;
 * writes go through a group commit (`write`, or a store's own `groupCommit` or `batchCommit`):
 * one transaction per batch. When the server goes away, queries fail at once (connections refused) or within the
 * pool's timeouts (PostgresPoolConfig), and the pool connects again by itself once it is back.
 */
export class PostgresDatabase implements OnApplicationShutdown {
  private readonly logger = new Logger('Postgres');
  private readonly writes: PostgresGroupCommit<Write, unknown>;
  private readonly commits: { close(): Promise<void> }[] = [];
  private closing: Promise<void> | undefined;

  private constructor(
    readonly db: Kysely<Schema>,
    private readonly pool: pg.Pool,
  ) {
    this.writes = this.groupCommit<Write, unknown>(async (trx, works) => {
      const results: unknown[] = [];
      for (const work of works) results.push(await work(trx));
      return results;
    });
    // An idle connection the server closed (a restart): the pool drops it and makes a new one later.
    pool.on('error', (error) =>
      this.logger.warn(`idle connection lost: ${error.message}`),
    );
  }

  /** Connects and migrates; throws (closing what it opened) if either fails. */
  static async open(
    url: string,
    settings: PostgresPoolConfig = DEFAULT_POSTGRES_POOL,
    migrations: Readonly<Record<string, Migration>> = MIGRATIONS,
  ): Promise<PostgresDatabase> {
    const pool = poolOf(url, settings);
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
    const database = new PostgresDatabase(db, pool);
    try {
      await migrate(db, migrations);
    } catch (error) {
      await database.close();
      throw error;
    }
    return database;
  }

  /** Runs `work` in the next batch of the generic group commit; resolves once committed. */
  write<T>(work: Write<T>): Promise<T> {
    return this.writes.add(work) as Promise<T>;
  }

  /**
   * A group commit of its own, one transaction per batch, for a store whose writes of one batch
   * are cheaper as a few statements for all of them than one each.
   */
  groupCommit<In, Out>(
    runBatch: RunBatch<In, Out>,
  ): PostgresGroupCommit<In, Out> {
    return this.batchCommit((inputs) =>
      this.db.transaction().execute((trx) => runBatch(trx, inputs)),
    );
  }

  /**
   * A group commit whose batch commits by itself: one statement for all of them (the message
   * store's), with no BEGIN and COMMIT round trips.
   */
  batchCommit<In, Out>(
    commitBatch: CommitBatch<In, Out>,
  ): PostgresGroupCommit<In, Out> {
    const commit = new PostgresGroupCommit(commitBatch);
    this.commits.push(commit);
    return commit;
  }

  /**
   * One statement straight on the pool, prepared once per connection under `name` (its text
   * must never change): for the statements run for every batch of messages, without the query
   * builder's work per call.
   */
  async query<Row>(
    name: string,
    text: string,
    values: unknown[],
  ): Promise<Row[]> {
    const { rows } = await this.pool.query<Row & pg.QueryResultRow>({
      name,
      text,
      values,
    });
    return rows;
  }

  /** Commits pending writes, then ends the pool; later writes reject. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled(this.commits.map((commit) => commit.close()));
      await this.db.destroy();
    })();
    return this.closing;
  }

  /** One round trip to the server through the pool (the readiness probe). */
  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.db);
  }

  get isOpen(): boolean {
    return this.closing === undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}

function poolOf(url: string, options: PostgresPoolConfig): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    max: options.size,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: options.idleTimeoutMs,
    // Client side (no startup parameter, which a pooler such as PgBouncer may refuse).
    query_timeout: options.queryTimeoutMs,
    types,
  });
}
