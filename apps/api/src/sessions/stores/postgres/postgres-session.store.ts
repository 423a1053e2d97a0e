import type { Settings } from '@chat/contracts';
import { sql, type Selectable } from 'kysely';
import {
  compareCodePoints,
  directoryKey,
  nameKey,
  PREFIX_END,
  splitDirectoryKey,
} from '../../../directory/directory-order';
import { TurnBatch } from '../../../shared/batching';
import type { PostgresDatabase } from '../../../shared/postgres/postgres-database';
import type { SessionsTable } from '../../../shared/postgres/schema';
import {
  sessionStoreOptions,
  type SessionStoreOptions,
} from '../session-store-options';
import {
  SessionStore,
  type DirectoryPage,
  type DirectoryQuery,
  type StoredSession,
} from '../session.store';

type SessionRow = Pick<
  Selectable<SessionsTable>,
  'session_id' | 'user_id' | 'username' | 'connected' | 'last_seen'
>;

const COLUMNS = [
  'session_id',
  'user_id',
  'username',
  'connected',
  'last_seen',
] as const;

const toSession = (row: SessionRow): StoredSession => ({
  sessionID: row.session_id,
  userID: row.user_id,
  username: row.username,
  connected: row.connected,
  lastSeen: row.last_seen,
});

/** Users asked about in one turn are looked up in one query (see `hasUser`). */
const MAX_LOOKUPS = 512;
/** Past this many, the `hasUser` cache starts again empty (it only saves round trips). */
const ALIVE_CACHE_MAX = 100_000;

/** PostgreSQL text holds no NUL: userIDs never do, so a cursor's userID part ends at one. */
const withoutNul = (value: string) => {
  const at = value.indexOf('\u0000');
  return at < 0 ? value : value.slice(0, at);
};

/**
 * `STORE=postgres` sessions: the `sessions` table (shared/postgres/migrations.ts), with the settings
 * in two columns. Reads go to the pool; writes through the database's group commit. `hasUser`,
 * asked for every private message, is answered from what is surely still true (as the Redis
 * store does), else by one query for all the users asked for in one turn.
 */
export class PostgresSessionStore extends SessionStore {
  private readonly options: SessionStoreOptions;
  private readonly lookups: TurnBatch<string, boolean>;
  private readonly settingsLookups: TurnBatch<string, Settings | null>;
  /**
   * `hasUser`'s answers: userID → until when its session is alive for sure, whatever any node
   * does meanwhile. A session's expiry only ever moves later (a save is a connect, or a disconnect
   * seen now), and the pruner deletes only expired sessions: no node has to tell the others.
   */
  private readonly aliveUntil = new Map<string, number>();
  /** `hasUser` lookups still waiting for the database, and the last one asked (resolves true). */
  private pending = 0;
  private lastLookup: Promise<boolean> = Promise.resolve(true);

  constructor(
    private readonly database: PostgresDatabase,
    options: Partial<SessionStoreOptions> = {},
  ) {
    super();
    this.options = sessionStoreOptions(options);
    this.lookups = new TurnBatch(
      (userIDs) => this.findAlive(userIDs),
      MAX_LOOKUPS,
    );
    this.settingsLookups = new TurnBatch(
      (userIDs) => this.settingsOf(userIDs),
      MAX_LOOKUPS,
    );
  }

  private get db() {
    return this.database.db;
  }

  async findSession(sessionID: string): Promise<StoredSession | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .select(COLUMNS)
      .where('session_id', '=', sessionID)
      .where(this.alive())
      .executeTakeFirst();
    return row && toSession(row);
  }

  async findSessionByUserID(
    userID: string,
  ): Promise<StoredSession | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .select(COLUMNS)
      .where('user_id', '=', userID)
      .where(this.alive())
      .executeTakeFirst();
    return row && toSession(row);
  }

  override hasUser(userID: string): Promise<boolean> {
    const now = this.options.clock.now();
    if (now < (this.aliveUntil.get(userID) ?? -Infinity))
      return this.pending === 0 ? Promise.resolve(true) : this.lastLookup;
    this.pending += 1;
    // Answers in the order asked, whichever query of the pool comes back first: a sender's
    // messages get their ids in the order they were sent.
    const answer = this.lookups.add(userID);
    const lookup = this.lastLookup.then(() => answer);
    const settled = () => process.nextTick(() => (this.pending -= 1));
    lookup.then(settled, settled);
    // A cached yes after this lookup resolves after it; a failed lookup is that caller's alone.
    this.lastLookup = lookup.then(
      () => true,
      () => true,
    );
    return lookup;
  }

  /** Which of `userIDs` have an unexpired session; remembers until when each surely has. */
  private async findAlive(userIDs: string[]): Promise<boolean[]> {
    const now = this.options.clock.now();
    const rows = await this.db
      .selectFrom('sessions')
      .select(['user_id', 'connected', 'last_seen'])
      .where('user_id', '=', sql<string>`ANY(${[...new Set(userIDs)]})`)
      .where(
        sql<boolean>`(connected OR last_seen > ${now - this.options.ttlMs})`,
      )
      .execute();
    const alive = new Set<string>();
    if (this.aliveUntil.size >= ALIVE_CACHE_MAX) this.aliveUntil.clear();
    for (const row of rows) {
      alive.add(row.user_id);
      // Seen connected now, it expires TTL after a disconnect that can only come later.
      this.aliveUntil.set(
        row.user_id,
        (row.connected ? now : row.last_seen) + this.options.ttlMs,
      );
    }
    for (const userID of userIDs)
      if (!alive.has(userID)) this.aliveUntil.delete(userID);
    return userIDs.map((userID) => alive.has(userID));
  }

  async saveSession(session: StoredSession): Promise<void> {
    const row = {
      session_id: session.sessionID,
      user_id: session.userID,
      username: session.username,
      name_key: nameKey(session.username),
      connected: session.connected,
      last_seen: session.lastSeen,
    };
    // The upsert keeps the row, hence its seq (the order first saved) and its settings.
    await this.database.write((trx) =>
      trx
        .insertInto('sessions')
        .values(row)
        .onConflict((conflict) =>
          conflict.column('session_id').doUpdateSet({
            user_id: (eb) => eb.ref('excluded.user_id'),
            username: (eb) => eb.ref('excluded.username'),
            name_key: (eb) => eb.ref('excluded.name_key'),
            connected: (eb) => eb.ref('excluded.connected'),
            last_seen: (eb) => eb.ref('excluded.last_seen'),
          }),
        )
        .execute(),
    );
  }

  async findAllSessions(): Promise<StoredSession[]> {
    const rows = await this.db
      .selectFrom('sessions')
      .select(COLUMNS)
      .where(this.alive())
      .orderBy('seq')
      .execute();
    return rows.map(toSession);
  }

  async findDirectory({
    prefix = '',
    after = '',
    limit,
  }: DirectoryQuery): Promise<DirectoryPage> {
    // Starts after the cursor, or at the prefix (just after ("prefix", "")) if that is later.
    const [name, user] =
      compareCodePoints(after, prefix) > 0
        ? splitDirectoryKey(after)
        : [prefix, ''];
    // Walks the index sessions_directory from the cursor; one row more tells whether a next
    // page exists.
    const rows = await this.db
      .selectFrom('sessions')
      .select(COLUMNS)
      .where(
        sql<boolean>`(name_key, user_id) > (${withoutNul(name)}, ${withoutNul(user)})`,
      )
      .where('name_key', '<', prefix + PREFIX_END)
      .where(this.alive())
      .orderBy('name_key')
      .orderBy('user_id')
      .limit(limit + 1)
      .execute();
    const sessions = rows.slice(0, limit).map(toSession);
    return rows.length > limit
      ? { sessions, next: directoryKey(sessions[limit - 1]) }
      : { sessions };
  }

  async findExpired(limit: number): Promise<StoredSession[]> {
    // Spelled to match the partial index sessions_expiry.
    const rows = await this.db
      .selectFrom('sessions')
      .select(COLUMNS)
      .where('connected', '=', false)
      .where('last_seen', '<=', this.cutoff())
      .orderBy('last_seen')
      .limit(limit)
      .execute();
    return rows.map(toSession);
  }

  async deleteExpired(sessionID: string): Promise<boolean> {
    // The cutoff is taken when the delete runs, not when it was asked for.
    const result = await this.database.write((trx) =>
      trx
        .deleteFrom('sessions')
        .where('session_id', '=', sessionID)
        .where('connected', '=', false)
        .where('last_seen', '<=', this.cutoff())
        .executeTakeFirst(),
    );
    return result.numDeletedRows > 0n;
  }

  /** One query for the users asked about in one turn (receipts and typing ask for every event). */
  async findSettings(
    userIDs: readonly string[],
  ): Promise<Map<string, Settings>> {
    const answers = await Promise.all(
      userIDs.map((userID) => this.settingsLookups.add(userID)),
    );
    const found = new Map<string, Settings>();
    userIDs.forEach((userID, i) => {
      const settings = answers[i];
      if (settings) found.set(userID, settings);
    });
    return found;
  }

  /** The settings of each of `userIDs` with an unexpired session (null: none). */
  private async settingsOf(
    userIDs: readonly string[],
  ): Promise<(Settings | null)[]> {
    const rows = await this.db
      .selectFrom('sessions')
      .select(['user_id', 'read_receipts', 'typing'])
      .where('user_id', '=', sql<string>`ANY(${[...new Set(userIDs)]})`)
      .where(this.alive())
      .execute();
    const found = new Map<string, Settings>();
    for (const row of rows)
      found.set(row.user_id, {
        readReceipts: row.read_receipts,
        typing: row.typing,
      });
    return userIDs.map((userID) => found.get(userID) ?? null);
  }

  async updateSettings(
    userID: string,
    changes: Partial<Settings>,
  ): Promise<Settings | undefined> {
    const row = await this.database.write((trx) =>
      trx
        .updateTable('sessions')
        .set((eb) => ({
          read_receipts: changes.readReceipts ?? eb.ref('read_receipts'),
          typing: changes.typing ?? eb.ref('typing'),
        }))
        .where('user_id', '=', userID)
        .where(this.alive())
        .returning(['read_receipts', 'typing'])
        .executeTakeFirst(),
    );
    return row && { readReceipts: row.read_receipts, typing: row.typing };
  }

  /**
   * Marks every session not connected, seen now: at the start of the only node (no Redis), no
   * socket can be open yet, and sessions left `connected` by a node that was killed would
   * otherwise show online forever and never expire.
   */
  async disconnectAll(): Promise<number> {
    const now = this.options.clock.now();
    const result = await this.database.write((trx) =>
      trx
        .updateTable('sessions')
        .set({ connected: false, last_seen: now })
        .where('connected', '=', true)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows);
  }

  /** `isExpired` negated, in SQL, with the cutoff `now - ttl` taken now. */
  private alive() {
    const cutoff = this.cutoff();
    return sql<boolean>`(connected OR last_seen > ${cutoff})`;
  }

  /** Sessions last seen at or before this (and not connected) are expired. */
  private cutoff(): number {
    return this.options.clock.now() - this.options.ttlMs;
  }
}
