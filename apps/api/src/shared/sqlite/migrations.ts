import type Database from 'better-sqlite3';

/**
 * The schema of the SQLite database every capability's SQLite store shares (one file, one
 * version number). A capability that needs tables appends a step here.
 */
/** One schema change; run inside the migration transaction. */
export type Migration = (db: Database.Database) => void;

/**
 * The schema, one step per version (`PRAGMA user_version` = steps applied). Append only: never
 * edit a step that has shipped, add the next one.
 */
export const MIGRATIONS: readonly Migration[] = [
  // 1: sessions, messages and each user's conversations.
  (db) =>
    db.exec(`
      -- rowid order is the order sessions were first saved (an upsert keeps the rowid).
      CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY,
        user_id    TEXT NOT NULL UNIQUE,
        username   TEXT NOT NULL,
        connected  INTEGER NOT NULL,
        last_seen  INTEGER NOT NULL -- ms since the epoch
      );
      -- What the pruner scans: only sessions that can expire.
      CREATE INDEX sessions_expiry ON sessions (last_seen) WHERE connected = 0;

      -- A conversation is the sorted pair (low, high) of its two userIDs (low = high: to self).
      -- The primary key serves every history query, so there is no secondary index to maintain.
      CREATE TABLE messages (
        low       TEXT NOT NULL,
        high      TEXT NOT NULL,
        id        TEXT NOT NULL, -- monotonic ULID: the order the server accepted them
        sender    TEXT NOT NULL,
        recipient TEXT NOT NULL,
        content   TEXT NOT NULL,
        at        TEXT NOT NULL, -- ISO 8601, as sent on the wire
        PRIMARY KEY (low, high, id)
      ) WITHOUT ROWID;

      -- Each user's conversation partners, both ways (once for a conversation with self).
      CREATE TABLE conversations (
        user_id TEXT NOT NULL,
        peer_id TEXT NOT NULL,
        PRIMARY KEY (user_id, peer_id)
      ) WITHOUT ROWID;

      -- Small facts: the greatest message id ever stored, read once at start.
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `),
  // 2: the directory's order (see `directoryKey`): a name key, computed in JS (SQLite's lower()
  // folds ASCII only), and an index in that order, which pages and prefix searches walk. The key
  // is `nameKey` (directory/directory-order.ts) as this step shipped: should it ever change, a new
  // step recomputes it.
  (db) => {
    db.exec(
      `ALTER TABLE sessions ADD COLUMN name_key TEXT NOT NULL DEFAULT ''`,
    );
    const rows = db
      .prepare<
        [],
        { session_id: string; username: string }
      >('SELECT session_id, username FROM sessions')
      .all();
    const update = db.prepare<[string, string]>(
      'UPDATE sessions SET name_key = ? WHERE session_id = ?',
    );
    for (const row of rows)
      update.run(row.username.toLowerCase(), row.session_id);
    db.exec('CREATE INDEX sessions_directory ON sessions (name_key, user_id)');
  },
  // 3: idempotent sends: the sender's `clientMessageId`, unique per sender. A partial index, so
  // that messages sent without one (NULL) cost nothing more than before.
  (db) =>
    db.exec(`
      ALTER TABLE messages ADD COLUMN client_id TEXT;
      CREATE UNIQUE INDEX messages_client_id ON messages (sender, client_id)
        WHERE client_id IS NOT NULL;
    `),
  // 4: each user's privacy settings, stored with their session (1: on, the default).
  (db) =>
    db.exec(`
      ALTER TABLE sessions ADD COLUMN read_receipts INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE sessions ADD COLUMN typing INTEGER NOT NULL DEFAULT 1;
    `),
  // 5: conversation state. `conversations.received` counts the messages `user_id` received from
  // `peer_id` (raised once per batch by the message store), so that unread counts never walk a
  // conversation; filled here from the messages already stored.
  (db) =>
    db.exec(`
      ALTER TABLE conversations ADD COLUMN received INTEGER NOT NULL DEFAULT 0;
      UPDATE conversations SET received = (
        SELECT COUNT(*) FROM messages
        WHERE low = min(user_id, peer_id) AND high = max(user_id, peer_id)
          AND sender = peer_id AND recipient = user_id);

      -- A reader's markers over the messages of one peer (message ids, NULL: none), and how many
      -- of the peer's messages are at or before read (unread = received - read_count).
      CREATE TABLE markers (
        reader      TEXT NOT NULL,
        peer        TEXT NOT NULL,
        delivered   TEXT,
        read        TEXT,
        public_read TEXT,
        read_count  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (reader, peer)
      ) WITHOUT ROWID;
      -- Forgetting a user deletes the markers kept about them too.
      CREATE INDEX markers_peer ON markers (peer);
    `),
];

/**
 * Brings the schema to the latest version: the missing steps, in order, in one transaction, so
 * a failed step leaves the database as it was. Refuses a database made by a newer version.
 */
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
): { from: number; to: number } {
  return db
    .transaction(() => {
      const from = db.pragma('user_version', { simple: true }) as number;
      if (from > migrations.length)
        throw new Error(
          `database schema version ${from} is newer than this api knows (${migrations.length})`,
        );
      for (const step of migrations.slice(from)) step(db);
      // Part of the transaction: rolled back with the steps if one fails.
      db.pragma(`user_version = ${migrations.length}`);
      return { from, to: migrations.length };
    })
    .immediate();
}
