import type { Message } from '@chat/contracts';
import { sql, type Transaction } from 'kysely';
import type { PostgresGroupCommit } from '../../../shared/postgres/group-commit';
import type { PostgresDatabase } from '../../../shared/postgres/postgres-database';
import type { Schema } from '../../../shared/postgres/schema';
import {
  MessageStore,
  type MessagePage,
  type RecentConversation,
} from '../message.store';

interface MessageRow {
  id: string;
  sender: string;
  recipient: string;
  content: string;
  at: string;
  client_id: string | null;
}

/** The conversation key: the two userIDs in order, whoever sent. */
const pair = (a: string, b: string) =>
  a < b ? { low: a, high: b } : { low: b, high: a };

/** A row as a message: `clientMessageId` only if it was sent with one (no key at all otherwise). */
const toMessage = (row: MessageRow): Message => {
  const message: Message = {
    id: row.id,
    content: row.content,
    from: row.sender,
    to: row.recipient,
    at: row.at,
  };
  if (row.client_id !== null) message.clientMessageId = row.client_id;
  return message;
};

/** Rows newest first, at most `limit + 1` → the page oldest first, and whether there are more. */
function page(rows: MessageRow[], limit: number): MessagePage {
  const hasMore = rows.length > limit;
  const messages = (hasMore ? rows.slice(0, limit) : rows)
    .reverse()
    .map(toMessage);
  return { messages, hasMore };
}

/** One string per (user, peer) (userIDs hold no NUL character). */
const KEY_SEPARATOR = '\u0000';
/** `meta`'s key of the greatest id of the deleted messages. */
export const DELETED_LATEST = 'deleted_latest_message_id';
/**
 * `meta`'s keys of the greatest id saved: a batch raises one of these rows, picked at random, so
 * that two nodes' batches seldom wait for each other's row (one row would make every batch wait
 * for the one before it to commit), and the latest id is the greatest of a few rows.
 */
export const LATEST_SLOTS = 32;
const LATEST_PREFIX = 'latest_message_id:';

/**
 * One batch of messages in one statement, which commits by itself (one round trip, no BEGIN and
 * COMMIT): the rows from one JSON array (a `clientMessageId` its sender already used inserts
 * nothing, through the partial unique index); the recipients' conversation rows with the
 * `received` counts of what was inserted (what unread counts start from), and the senders' rows
 * only where missing (no row lock for them), in key order, so that two nodes' batches lock rows
 * in the same order; and the greatest id inserted into one `meta` row ($2). It answers the ids
 * inserted with a `clientMessageId`: a message without one is always inserted. least/greatest in
 * the "C" collation order userIDs (ASCII) as the JS `pair` does.
 */
const SAVE_MESSAGES = `
  WITH saved AS (
    INSERT INTO messages (low, high, id, sender, recipient, content, at, client_id)
    SELECT least(m."from", m."to"), greatest(m."from", m."to"), m.id, m."from", m."to",
      m.content, m.at, m."clientMessageId"
    FROM json_to_recordset($1::json) AS m(id text, content text, "from" text COLLATE "C",
      "to" text COLLATE "C", at text, "clientMessageId" text)
    ON CONFLICT (sender, client_id) WHERE client_id IS NOT NULL DO NOTHING
    RETURNING id, sender, recipient, client_id),
  counted AS (
    INSERT INTO conversations (user_id, peer_id, received)
    SELECT user_id, peer_id, sum(n) FROM (
      SELECT recipient AS user_id, sender AS peer_id, 1 AS n FROM saved
      UNION ALL SELECT s.sender, s.recipient, 0 FROM saved s WHERE NOT EXISTS (
        SELECT FROM conversations c WHERE c.user_id = s.sender AND c.peer_id = s.recipient)
    ) sides
    GROUP BY user_id, peer_id ORDER BY user_id, peer_id
    -- A sender's row made meanwhile by another batch is left as it is.
    ON CONFLICT (user_id, peer_id) DO UPDATE
      SET received = conversations.received + excluded.received
      WHERE excluded.received > 0),
  latest AS (
    INSERT INTO meta (key, value) SELECT $2, max(id) FROM saved HAVING max(id) IS NOT NULL
    ON CONFLICT (key) DO UPDATE SET value = greatest(meta.value, excluded.value))
  SELECT id FROM saved WHERE client_id IS NOT NULL`;

/**
 * `STORE=postgres` messages: the `messages` and `conversations` tables
 * (shared/postgres/migrations.ts). Saves have a group commit of their own: a batch of messages is
 * one statement whatever its size (SAVE_MESSAGES), and a repeated `clientMessageId` one SELECT
 * more, of the earlier messages, once committed. The latest id is the greatest of `meta`'s
 * latest rows (LATEST_SLOTS) and of the greatest id deleted.
 */
export class PostgresMessageStore extends MessageStore {
  private readonly saves: PostgresGroupCommit<Message, Message>;

  constructor(private readonly database: PostgresDatabase) {
    super();
    this.saves = database.batchCommit((messages) => this.insert(messages));
  }

  saveMessage(message: Message): Promise<Message> {
    return this.saves.add(message);
  }

  private async insert(messages: Message[]): Promise<(Message | Error)[]> {
    // Message objects as they are (id, content, from, to, at, clientMessageId): JSON.stringify
    // costs the api less than an array parameter per column.
    const inserted = await this.database.query<{ id: string }>(
      'chat_save_messages',
      SAVE_MESSAGES,
      [
        JSON.stringify(messages),
        LATEST_PREFIX + Math.floor(Math.random() * LATEST_SLOTS),
      ],
    );
    const stored = new Set(inserted.map((row) => row.id));
    const repeats = messages.filter(
      (m) => m.clientMessageId !== undefined && !stored.has(m.id),
    );
    if (repeats.length === 0) return messages;
    // Committed before this statement ended, by this batch or another (ON CONFLICT waits for it).
    const { rows } = await sql<MessageRow>`
      SELECT id, sender, recipient, content, at, client_id FROM messages
      WHERE (sender, client_id) IN (SELECT * FROM unnest(
        ${repeats.map((m) => m.from)}::text[],
        ${repeats.map((m) => m.clientMessageId ?? null)}::text[]))`.execute(
      this.database.db,
    );
    const earlier = new Map<string, Message>();
    for (const row of rows)
      earlier.set(row.sender + KEY_SEPARATOR + row.client_id, toMessage(row));
    return messages.map((m) => {
      if (m.clientMessageId === undefined || stored.has(m.id)) return m;
      return (
        earlier.get(m.from + KEY_SEPARATOR + m.clientMessageId) ??
        // Deleted since (its sender expired): this one fails alone; sent again, it is stored.
        new Error('a duplicate clientMessageId without its message')
      );
    });
  }

  async findRecentConversations(
    userID: string,
    limit: number,
  ): Promise<RecentConversation[]> {
    // One statement, one snapshot: each conversation's newest messages straight down the primary
    // key (userIDs are ASCII: least/greatest order them as the JS `pair` does).
    const { rows } = await sql<
      { peer_id: string } & { [K in keyof MessageRow]: MessageRow[K] | null }
    >`
      SELECT c.peer_id, m.id, m.sender, m.recipient, m.content, m.at, m.client_id
      FROM conversations c
      LEFT JOIN LATERAL (
        SELECT id, sender, recipient, content, at, client_id FROM messages
        WHERE low = least(c.user_id, c.peer_id) AND high = greatest(c.user_id, c.peer_id)
        ORDER BY id DESC LIMIT ${limit + 1}) m ON true
      WHERE c.user_id = ${userID}`.execute(this.database.db);
    const byPeer = new Map<string, MessageRow[]>();
    for (const row of rows) {
      const messages = byPeer.get(row.peer_id) ?? [];
      byPeer.set(row.peer_id, messages);
      if (row.id !== null) messages.push(row as MessageRow);
    }
    return [...byPeer].map(([peerID, messages]) => ({
      peerID,
      ...page(messages, limit),
    }));
  }

  async findMessagesBefore(
    userID: string,
    peerID: string,
    beforeID: string,
    limit: number,
  ): Promise<MessagePage> {
    const { low, high } = pair(userID, peerID);
    // PostgreSQL text holds no NUL, and no id does: before "x\0..." is "x" and what precedes it.
    const nul = beforeID.indexOf('\u0000');
    const rows = await this.database.db
      .selectFrom('messages')
      .select(['id', 'sender', 'recipient', 'content', 'at', 'client_id'])
      .where('low', '=', low)
      .where('high', '=', high)
      .where(
        'id',
        nul < 0 ? '<' : '<=',
        nul < 0 ? beforeID : beforeID.slice(0, nul),
      )
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    return page(rows, limit);
  }

  deleteUserMessages(userID: string, limit: number): Promise<boolean> {
    return this.database.write(async (trx) => {
      let budget = limit;
      const peers = await trx
        .selectFrom('conversations')
        .select('peer_id')
        .where('user_id', '=', userID)
        .execute();
      for (const { peer_id: peerID } of peers) {
        if (budget <= 0) return false;
        const { low, high } = pair(userID, peerID);
        const { rows } = await sql<{ id: string }>`
          DELETE FROM messages WHERE low = ${low} AND high = ${high} AND id IN (
            SELECT id FROM messages WHERE low = ${low} AND high = ${high}
            ORDER BY id LIMIT ${budget})
          RETURNING id`.execute(trx);
        await this.rememberDeleted(trx, rows);
        budget -= rows.length;
        // A full step may have left some behind; the next call will see.
        if (budget <= 0) return false;
        await trx
          .deleteFrom('conversations')
          .where((eb) =>
            eb.or([
              eb.and([eb('user_id', '=', userID), eb('peer_id', '=', peerID)]),
              eb.and([eb('user_id', '=', peerID), eb('peer_id', '=', userID)]),
            ]),
          )
          .execute();
        budget -= 1;
      }
      return true;
    });
  }

  /** The greatest deleted id, so that `findLatestMessageID` stays what it was. */
  private async rememberDeleted(
    trx: Transaction<Schema>,
    deleted: { id: string }[],
  ): Promise<void> {
    if (deleted.length === 0) return;
    const latest = deleted.reduce((a, b) => (b.id > a ? b.id : a), '');
    await trx
      .insertInto('meta')
      .values({ key: DELETED_LATEST, value: latest })
      .onConflict((conflict) =>
        conflict.column('key').doUpdateSet({
          value: sql<string>`greatest(meta.value, excluded.value)`,
        }),
      )
      .execute();
  }

  async findLatestMessageID(): Promise<string | undefined> {
    const { rows } = await sql<{ latest: string | null }>`
      SELECT max(value) AS latest FROM meta
      WHERE starts_with(key, ${LATEST_PREFIX}) OR key = ${DELETED_LATEST}`.execute(
      this.database.db,
    );
    return rows[0]?.latest ?? undefined;
  }
}
