import type { Settings } from '@chat/contracts';
import type { Database } from 'better-sqlite3';
import {
  compareCodePoints,
  directoryKey,
  nameKey,
  PREFIX_END,
  splitDirectoryKey,
} from '../../../directory/directory-order';
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
import type { SqliteDatabase } from '../../../shared/sqlite/sqlite-database';

interface SessionRow {
  session_id: string;
  user_id: string;
  username: string;
  connected: number;
  last_seen: number;
}

const toSession = (row: SessionRow): StoredSession => ({
  sessionID: row.session_id,
  userID: row.user_id,
  username: row.username,
  connected: row.connected === 1,
  lastSeen: row.last_seen,
});

const toSettings = (row: {
  read_receipts: number;
  typing: number;
}): Settings => ({
  readReceipts: row.read_receipts === 1,
  typing: row.typing === 1,
});

interface DirectoryParameters {
  name: string;
  user: string;
  end: string;
  cutoff: number;
  limit: number;
}

const COLUMNS = 'session_id, user_id, username, connected, last_seen';
// `isExpired` in SQL, with the cutoff `now - ttl` as the parameter.
const ALIVE = '(connected = 1 OR last_seen > @cutoff)';

function prepareStatements(db: Database) {
  return {
    bySessionID: db.prepare<{ id: string; cutoff: number }, SessionRow>(
      `SELECT ${COLUMNS} FROM sessions WHERE session_id = @id AND ${ALIVE}`,
    ),
    byUserID: db.prepare<{ id: string; cutoff: number }, SessionRow>(
      `SELECT ${COLUMNS} FROM sessions WHERE user_id = @id AND ${ALIVE}`,
    ),
    liveness: db.prepare<
      { id: string; cutoff: number },
      Pick<SessionRow, 'connected' | 'last_seen'>
    >(
      `SELECT connected, last_seen FROM sessions WHERE user_id = @id AND ${ALIVE}`,
    ),
    all: db.prepare<{ cutoff: number }, SessionRow>(
      `SELECT ${COLUMNS} FROM sessions WHERE ${ALIVE} ORDER BY rowid`,
    ),
    // The upsert keeps the row, hence its rowid: the order first saved.
    save: db.prepare<SessionRow & { name_key: string }>(
      `INSERT INTO sessions (${COLUMNS}, name_key)
       VALUES (@session_id, @user_id, @username, @connected, @last_seen, @name_key)
       ON CONFLICT (session_id) DO UPDATE SET user_id = excluded.user_id,
         username = excluded.username, connected = excluded.connected,
         last_seen = excluded.last_seen, name_key = excluded.name_key`,
    ),
    // Walks the index sessions_directory from the cursor; `end` bounds a prefix search.
    directory: db.prepare<DirectoryParameters, SessionRow>(
      `SELECT ${COLUMNS} FROM sessions
       WHERE (name_key, user_id) > (@name, @user) AND name_key < @end AND ${ALIVE}
       ORDER BY name_key, user_id LIMIT @limit`,
    ),
    // Spelled to match the partial index sessions_expiry.
    expired: db.prepare<{ cutoff: number; limit: number }, SessionRow>(
      `SELECT ${COLUMNS} FROM sessions WHERE connected = 0 AND last_seen <= @cutoff
       ORDER BY last_seen LIMIT @limit`,
    ),
    deleteExpired: db.prepare<{ id: string; cutoff: number }>(
      `DELETE FROM sessions WHERE session_id = @id AND connected = 0 AND last_seen <= @cutoff`,
    ),
    // Users given as a JSON array: one statement for any number of them.
    settings: db.prepare<
      { ids: string; cutoff: number },
      { user_id: string; read_receipts: number; typing: number }
    >(
      `SELECT user_id, read_receipts, typing FROM sessions
       WHERE user_id IN (SELECT value FROM json_each(@ids)) AND ${ALIVE}`,
    ),
    // NULL: that setting stays as it is.
    updateSettings: db.prepare<
      {
        id: string;
        cutoff: number;
        read_receipts: number | null;
        typing: number | null;
      },
      { read_receipts: number; typing: number }
    >(
      `UPDATE sessions SET read_receipts = coalesce(@read_receipts, read_receipts),
         typing = coalesce(@typing, typing)
       WHERE user_id = @id AND ${ALIVE}
       RETURNING read_receipts, typing`,
    ),
    disconnectAll: db.prepare<{ now: number }>(
      `UPDATE sessions SET connected = 0, last_seen = @now WHERE connected = 1`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/** `STORE=sqlite` sessions: the `sessions` table (see sqlite-database.ts). */
export class SqliteSessionStore extends SessionStore {
  private readonly options: SessionStoreOptions;
  private readonly statements: Statements;
  /**
   * `hasUser`'s answers: userID → the time its session expires if nothing changes (Infinity while
   * connected), as read from the table. Every private message asks it of its recipient, and a
   * query costs several times a lookup here. Emptied by every write to `sessions` (`write`).
   */
  private readonly aliveUntil = new Map<string, number>();

  constructor(
    private readonly database: SqliteDatabase,
    options: Partial<SessionStoreOptions> = {},
  ) {
    super();
    this.options = sessionStoreOptions(options);
    this.statements = prepareStatements(database.db);
  }

  async findSession(sessionID: string): Promise<StoredSession | undefined> {
    const row = this.statements.bySessionID.get({
      id: sessionID,
      cutoff: this.cutoff(),
    });
    return row && toSession(row);
  }

  async findSessionByUserID(
    userID: string,
  ): Promise<StoredSession | undefined> {
    const row = this.statements.byUserID.get({
      id: userID,
      cutoff: this.cutoff(),
    });
    return row && toSession(row);
  }

  override async hasUser(userID: string): Promise<boolean> {
    const now = this.options.clock.now();
    const until = this.aliveUntil.get(userID);
    if (until !== undefined && now < until) return true;
    const { ttlMs } = this.options;
    const row = this.statements.liveness.get({
      id: userID,
      cutoff: now - ttlMs,
    });
    if (!row) {
      this.aliveUntil.delete(userID);
      return false;
    }
    // `isExpired` from then on: not connected, and `now - lastSeen >= ttlMs`.
    this.aliveUntil.set(
      userID,
      row.connected === 1 ? Infinity : row.last_seen + ttlMs,
    );
    return true;
  }

  async saveSession(session: StoredSession): Promise<void> {
    const row = {
      session_id: session.sessionID,
      user_id: session.userID,
      username: session.username,
      connected: session.connected ? 1 : 0,
      last_seen: session.lastSeen,
      name_key: nameKey(session.username),
    };
    await this.write(() => this.statements.save.run(row));
  }

  async findAllSessions(): Promise<StoredSession[]> {
    return this.statements.all.all({ cutoff: this.cutoff() }).map(toSession);
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
    // One row more than asked for tells whether a next page exists.
    const rows = this.statements.directory.all({
      name,
      user,
      end: prefix + PREFIX_END,
      cutoff: this.cutoff(),
      limit: limit + 1,
    });
    const sessions = rows.slice(0, limit).map(toSession);
    return rows.length > limit
      ? { sessions, next: directoryKey(sessions[limit - 1]) }
      : { sessions };
  }

  async findExpired(limit: number): Promise<StoredSession[]> {
    return this.statements.expired
      .all({ cutoff: this.cutoff(), limit })
      .map(toSession);
  }

  async deleteExpired(sessionID: string): Promise<boolean> {
    // The cutoff is taken when the delete runs, not when it was asked for.
    const result = await this.write(() =>
      this.statements.deleteExpired.run({
        id: sessionID,
        cutoff: this.cutoff(),
      }),
    );
    return result.changes > 0;
  }

  async findSettings(
    userIDs: readonly string[],
  ): Promise<Map<string, Settings>> {
    const found = new Map<string, Settings>();
    if (userIDs.length === 0) return found;
    const rows = this.statements.settings.all({
      ids: JSON.stringify(userIDs),
      cutoff: this.cutoff(),
    });
    for (const row of rows) found.set(row.user_id, toSettings(row));
    return found;
  }

  async updateSettings(
    userID: string,
    changes: Partial<Settings>,
  ): Promise<Settings | undefined> {
    const flag = (value: boolean | undefined) =>
      value === undefined ? null : value ? 1 : 0;
    // Not `this.write`: settings change nothing `hasUser` remembers.
    const row = await this.database.write(() =>
      this.statements.updateSettings.get({
        id: userID,
        cutoff: this.cutoff(),
        read_receipts: flag(changes.readReceipts),
        typing: flag(changes.typing),
      }),
    );
    return row && toSettings(row);
  }

  /**
   * Marks every session not connected, seen now. For the start of the process: one api process
   * owns a SQLite file, so no socket can be open yet, and sessions left `connected` by a process
   * that was killed would otherwise show online forever and never expire.
   */
  async disconnectAll(): Promise<number> {
    const now = this.options.clock.now();
    const result = await this.write(() =>
      this.statements.disconnectAll.run({ now }),
    );
    return result.changes;
  }

  /**
   * Every write to `sessions` goes through here: it empties `aliveUntil` inside its transaction,
   * so no answer read before it outlives it (emptying it for a write rolled back is harmless).
   */
  private write<T>(work: () => T): Promise<T> {
    return this.database.write(() => {
      this.aliveUntil.clear();
      return work();
    });
  }

  /** Sessions last seen at or before this (and not connected) are expired. */
  private cutoff(): number {
    return this.options.clock.now() - this.options.ttlMs;
  }
}
