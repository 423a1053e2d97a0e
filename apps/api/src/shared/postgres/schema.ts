import type { Generated } from 'kysely';

/**
 * The tables of the PostgreSQL database every capability's PostgreSQL store shares, as Kysely
 * types them (see migrations.ts for the SQL, its indexes and why). Every text column that is
 * compared or ordered uses the "C" collation: byte order of UTF-8, which is code point order, as
 * SQLite and Redis compare (ids, directory keys).
 */
export interface Schema {
  sessions: SessionsTable;
  messages: MessagesTable;
  conversations: ConversationsTable;
  markers: MarkersTable;
  meta: MetaTable;
}

export interface SessionsTable {
  /** The order sessions were first saved (an upsert keeps it). */
  seq: Generated<number>;
  session_id: string;
  user_id: string;
  username: string;
  /** `nameKey(username)`: the directory's order, with user_id. */
  name_key: string;
  connected: boolean;
  /** ms since the epoch. */
  last_seen: number;
  read_receipts: Generated<boolean>;
  typing: Generated<boolean>;
}

/** A conversation is the sorted pair (low, high) of its two userIDs (low = high: to self). */
export interface MessagesTable {
  low: string;
  high: string;
  /** Monotonic ULID: the order the server accepted them. */
  id: string;
  sender: string;
  recipient: string;
  content: string;
  /** ISO 8601, as sent on the wire. */
  at: string;
  /** The sender's `clientMessageId`; null without one. */
  client_id: string | null;
}

/** Each user's conversation partners, both ways (once for a conversation with self). */
export interface ConversationsTable {
  user_id: string;
  peer_id: string;
  /** Messages `user_id` received from `peer_id`: unread = received - markers.read_count. */
  received: Generated<number>;
}

/** A reader's markers over the messages of one peer (message ids; null: none). */
export interface MarkersTable {
  reader: string;
  peer: string;
  delivered: string | null;
  read: string | null;
  public_read: string | null;
  /** The peer's messages at or before `read`. */
  read_count: Generated<number>;
}

/** Small facts: the greatest id of the deleted messages. */
export interface MetaTable {
  key: string;
  value: string;
}
