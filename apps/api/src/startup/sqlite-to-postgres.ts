import type Database from 'better-sqlite3';
import { sql } from 'kysely';
import type { MarkersRow } from '../conversation-state/stores/markers-row';
import { DELETED_LATEST } from '../messaging/stores/postgres/postgres-message.store';
import type { PostgresDatabase } from '../shared/postgres/postgres-database';
import type { SqliteDatabase } from '../shared/sqlite/sqlite-database';

/** Rows read from SQLite and written to PostgreSQL per statement. */
const CHUNK = 1000;

export interface CopyCounts {
  sessions: number;
  messages: number;
  conversations: number;
  markers: number;
}

/** The target already holds a chat: the move never merges two. */
export class TargetNotEmptyError extends Error {
  constructor() {
    super(
      'the PostgreSQL database already holds sessions or messages: move into an empty one',
    );
    this.name = 'TargetNotEmptyError';
  }
}

/**
 * One table's rows in primary-key order, `CHUNK` at a time (keyset paging: each read is an index
 * range, whatever the table's size).
 */
function* chunks<Row>(
  db: Database.Database,
  table: string,
  columns: string[],
  key: string[],
): Generator<Row[]> {
  const select = `SELECT ${columns.join(', ')} FROM ${table}`;
  const order = `ORDER BY ${key.join(', ')} LIMIT ${CHUNK}`;
  const first = db.prepare<[], Row>(`${select} ${order}`);
  const next = db.prepare<unknown[], Row>(
    `${select} WHERE (${key.join(', ')}) > (${key.map(() => '?').join(', ')}) ${order}`,
  );
  let rows = first.all();
  while (rows.length > 0) {
    yield rows;
    if (rows.length < CHUNK) return;
    const last = rows[rows.length - 1] as Record<string, unknown>;
    rows = next.all(...key.map((column) => last[column]));
  }
}

const column = <Row, K extends keyof Row>(rows: Row[], name: K) =>
  rows.map((row) => row[name]);

/**
 * Copies a whole SQLite database of the chat (sessions with their settings, messages, each user's
 * conversations with their counters, markers, the greatest message id) into an empty PostgreSQL
 * one, in one transaction: it is all there, or nothing is. Both are migrated to the latest schema
 * first (by opening them). Sessions keep the order they were first saved.
 */
export async function copySqliteToPostgres(
  source: SqliteDatabase,
  target: PostgresDatabase,
): Promise<CopyCounts> {
  const db = source.db;
  return target.db.transaction().execute(async (trx) => {
    const { rows: present } = await sql<{ n: number }>`
      SELECT (SELECT count(*) FROM sessions) + (SELECT count(*) FROM messages) AS n`.execute(
      trx,
    );
    if (Number(present[0]?.n) > 0) throw new TargetNotEmptyError();
    const counts: CopyCounts = {
      sessions: 0,
      messages: 0,
      conversations: 0,
      markers: 0,
    };

    type SessionRow = {
      rowid: number;
      session_id: string;
      user_id: string;
      username: string;
      name_key: string;
      connected: number;
      last_seen: number;
      read_receipts: number;
      typing: number;
    };
    // rowid order is the order first saved: seq is given in that order.
    for (const rows of chunks<SessionRow>(
      db,
      'sessions',
      [
        'rowid',
        'session_id',
        'user_id',
        'username',
        'name_key',
        'connected',
        'last_seen',
        'read_receipts',
        'typing',
      ],
      ['rowid'],
    )) {
      await sql`
        INSERT INTO sessions (session_id, user_id, username, name_key, connected, last_seen,
          read_receipts, typing)
        SELECT a, b, c, d, e, f, g, h FROM unnest(
          ${column(rows, 'session_id')}::text[], ${column(rows, 'user_id')}::text[],
          ${column(rows, 'username')}::text[], ${column(rows, 'name_key')}::text[],
          ${rows.map((r) => r.connected === 1)}::boolean[],
          ${column(rows, 'last_seen')}::bigint[],
          ${rows.map((r) => r.read_receipts === 1)}::boolean[],
          ${rows.map((r) => r.typing === 1)}::boolean[])
        WITH ORDINALITY AS t(a, b, c, d, e, f, g, h, n) ORDER BY n`.execute(
        trx,
      );
      counts.sessions += rows.length;
    }

    type MessageRow = {
      low: string;
      high: string;
      id: string;
      sender: string;
      recipient: string;
      content: string;
      at: string;
      client_id: string | null;
    };
    for (const rows of chunks<MessageRow>(
      db,
      'messages',
      [
        'low',
        'high',
        'id',
        'sender',
        'recipient',
        'content',
        'at',
        'client_id',
      ],
      ['low', 'high', 'id'],
    )) {
      await sql`
        INSERT INTO messages (low, high, id, sender, recipient, content, at, client_id)
        SELECT * FROM unnest(
          ${column(rows, 'low')}::text[], ${column(rows, 'high')}::text[],
          ${column(rows, 'id')}::text[], ${column(rows, 'sender')}::text[],
          ${column(rows, 'recipient')}::text[], ${column(rows, 'content')}::text[],
          ${column(rows, 'at')}::text[], ${column(rows, 'client_id')}::text[])`.execute(
        trx,
      );
      counts.messages += rows.length;
    }

    type ConversationRow = {
      user_id: string;
      peer_id: string;
      received: number;
    };
    for (const rows of chunks<ConversationRow>(
      db,
      'conversations',
      ['user_id', 'peer_id', 'received'],
      ['user_id', 'peer_id'],
    )) {
      await sql`
        INSERT INTO conversations (user_id, peer_id, received)
        SELECT * FROM unnest(
          ${column(rows, 'user_id')}::text[], ${column(rows, 'peer_id')}::text[],
          ${column(rows, 'received')}::bigint[])`.execute(trx);
      counts.conversations += rows.length;
    }

    for (const rows of chunks<MarkersRow>(
      db,
      'markers',
      ['reader', 'peer', 'delivered', 'read', 'public_read', 'read_count'],
      ['reader', 'peer'],
    )) {
      await sql`
        INSERT INTO markers (reader, peer, delivered, read, public_read, read_count)
        SELECT * FROM unnest(
          ${column(rows, 'reader')}::text[], ${column(rows, 'peer')}::text[],
          ${column(rows, 'delivered')}::text[], ${column(rows, 'read')}::text[],
          ${column(rows, 'public_read')}::text[], ${column(rows, 'read_count')}::bigint[])`.execute(
        trx,
      );
      counts.markers += rows.length;
    }

    // The greatest id ever saved, also of messages deleted since: ids go on after it.
    const latest = db
      .prepare<
        [],
        string
      >(`SELECT value FROM meta WHERE key = 'latest_message_id'`)
      .pluck()
      .get();
    if (latest !== undefined)
      await sql`
        INSERT INTO meta (key, value) VALUES (${DELETED_LATEST}, ${latest})`.execute(
        trx,
      );
    return counts;
  });
}
