import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  Kysely,
  PostgresDialect,
  sql,
  type Migration,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import { MIGRATIONS, migrate } from './migrations';
import { PostgresGroupCommit, type RunBatch } from './group-commit';
import type { Schema } from './schema';

/** How long a query waits for a connection of the pool: then it fails (`unavailable`). */
export const POSTGRES_CONNECT_TIMEOUT_MS = 2000;
/** A query without an answer after this long fails, even if the connection looks alive. */
export const POSTGRES_QUERY_TIMEOUT_MS = 5000;
/** Connections per api process. */
export const POSTGRES_POOL_SIZE = 10;

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

/**
 * The PostgreSQL database of the chat (`STORE=postgres`): a connection pool (pg) behind a typed
 * query builder (Kysely), migrated on open, closed on shutdown. Reads go straight to the pool;
 * writes go through a group commit (`write`, or a store's own `groupCommit`): one transaction
 * per batch. When the server goes away, queries fail at once (connections refused) or within the
 * timeouts above, and the pool connects again by itself once it is back.
 */
export class PostgresDatabase implements OnApplicationShutdown {
  private readonly logger = new Logger('Postgres');
  private readonly writes: PostgresGroupCommit<Schema, Write, unknown>;
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
    migrations: Readonly<Record<string, Migration>> = MIGRATIONS,
  ): Promise<PostgresDatabase> {
    const pool = new pg.Pool({
      connectionString: url,
      max: POSTGRES_POOL_SIZE,
      connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
      query_timeout: POSTGRES_QUERY_TIMEOUT_MS,
      types,
    });
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
   * A group commit of its own, for a store whose writes of one batch are cheaper as a few
   * statements for all of them (the message store's INSERT of many rows) than one each.
   */
  groupCommit<In, Out>(
    runBatch: RunBatch<Schema, In, Out>,
  ): PostgresGroupCommit<Schema, In, Out> {
    const commit = new PostgresGroupCommit(this.db, runBatch);
    this.commits.push(commit);
    return commit;
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
