import type { Message } from '@chat/contracts';
import type { Database } from 'better-sqlite3';
import {
  MessageStore,
  type MessagePage,
  type RecentConversation,
} from '../message.store';
import type { SqliteDatabase } from '../../../shared/sqlite/sqlite-database';

interface MessageRow {
  id: string;
  sender: string;
  recipient: string;
  content: string;
  at: string;
  /** The sender's `clientMessageId`; NULL for a message sent without one. */
  client_id: string | null;
}

interface Pair {
  low: string;
  high: string;
}

/** The conversation key: the two userIDs in order, whoever sent. */
const pair = (a: string, b: string): Pair =>
  a < b ? { low: a, high: b } : { low: b, high: a };

/** One string per conversation, for `knownPairs` (userIDs hold no NUL character). */
const pairKey = (low: string, high: string): string => `${low}\u0000${high}`;

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

const LATEST_ID = 'latest_message_id';

/** Conversations remembered as stored (see `knownPairs`); past this many, it starts afresh. */
const MAX_KNOWN_PAIRS = 100_000;

function prepareStatements(db: Database) {
  return {
    // Positional parameters: the hottest statement, and binding them is measurably cheaper.
    insert: db.prepare<
      [
        low: string,
        high: string,
        id: string,
        sender: string,
        recipient: string,
        content: string,
        at: string,
      ]
    >(
      `INSERT INTO messages (low, high, id, sender, recipient, content, at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    // Only for a message with a `clientMessageId`: stored unless that sender already stored one
    // with it (then no change). Only that index's conflict is ignored: any other still fails.
    insertKeyed: db.prepare<
      [
        low: string,
        high: string,
        id: string,
        sender: string,
        recipient: string,
        content: string,
        at: string,
        clientID: string,
      ]
    >(
      `INSERT INTO messages (low, high, id, sender, recipient, content, at, client_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (sender, client_id) WHERE client_id IS NOT NULL DO NOTHING`,
    ),
    // The message that insertKeyed found in its way (the partial index messages_client_id).
    byClientID: db.prepare<[sender: string, clientID: string], MessageRow>(
      `SELECT id, sender, recipient, content, at, client_id FROM messages
       WHERE sender = ? AND client_id = ?`,
    ),
    addPeer: db.prepare<{ user: string; peer: string }>(
      `INSERT OR IGNORE INTO conversations (user_id, peer_id) VALUES (@user, @peer)`,
    ),
    // Messages `user` received from `peer` (unread counts start from it); the row if missing.
    addReceived: db.prepare<{ user: string; peer: string; count: number }>(
      `INSERT INTO conversations (user_id, peer_id, received) VALUES (@user, @peer, @count)
       ON CONFLICT (user_id, peer_id) DO UPDATE SET received = received + excluded.received`,
    ),
    raiseLatest: db.prepare<{ id: string }>(
      `INSERT INTO meta (key, value) VALUES ('${LATEST_ID}', @id)
       ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)`,
    ),
    latest: db
      .prepare<[], string>(`SELECT value FROM meta WHERE key = '${LATEST_ID}'`)
      .pluck(),
    peers: db
      .prepare<
        { user: string },
        string
      >(`SELECT peer_id FROM conversations WHERE user_id = @user`)
      .pluck(),
    // Newest first, straight down the primary key; one extra row tells whether there are more.
    before: db.prepare<Pair & { before: string; limit: number }, MessageRow>(
      `SELECT id, sender, recipient, content, at, client_id FROM messages
       WHERE low = @low AND high = @high AND id < @before
       ORDER BY id DESC LIMIT @limit + 1`,
    ),
    latestOf: db.prepare<Pair & { limit: number }, MessageRow>(
      `SELECT id, sender, recipient, content, at, client_id FROM messages
       WHERE low = @low AND high = @high
       ORDER BY id DESC LIMIT @limit + 1`,
    ),
    deleteOldest: db.prepare<Pair & { limit: number }>(
      `DELETE FROM messages WHERE low = @low AND high = @high AND id IN (
         SELECT id FROM messages WHERE low = @low AND high = @high ORDER BY id LIMIT @limit)`,
    ),
    deletePeers: db.prepare<{ user: string; peer: string }>(
      `DELETE FROM conversations
       WHERE (user_id = @user AND peer_id = @peer) OR (user_id = @peer AND peer_id = @user)`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * `STORE=sqlite` messages: the `messages` and `conversations` tables (see sqlite-database.ts).
 *
 * A message costs one INSERT: the two `conversations` rows are written only for the first message
 * of a pair (`knownPairs`), and `meta`'s latest id and each pair's `conversations.received` count
 * (what conversation state counts unread messages from) are raised once per batch of the group
 * commit.
 * A message with a `clientMessageId` takes its own INSERT, which does nothing if the sender already
 * stored one with it (the partial unique index `messages_client_id`: committed, or earlier in the
 * same batch), and then one SELECT of that message, in the same transaction; a message without one
 * takes the same path as before the column existed.
 */
export class SqliteMessageStore extends MessageStore {
  private readonly statements: Statements;
  private readonly readRecent: (
    userID: string,
    limit: number,
  ) => RecentConversation[];
  /**
   * Pairs (`pairKey`) whose `conversations` rows exist, as the write in progress sees the
   * database. Only a cache: forgotten whenever a batch rolls back, and when it grows too large.
   */
  private readonly knownPairs = new Set<string>();
  /** The greatest id saved in the batch being written; stored in `meta` at the end of it. */
  private batchLatest: string | undefined;
  /**
   * Messages received in the batch being written, per recipient and sender (`pairKey`): added to
   * `conversations.received` at the end of it, one statement per pair rather than per message.
   */
  private readonly batchReceived = new Map<string, number>();

  constructor(private readonly database: SqliteDatabase) {
    super();
    const { db } = database;
    this.statements = prepareStatements(db);
    database.onRollback(() => {
      this.knownPairs.clear();
      this.batchLatest = undefined;
      this.batchReceived.clear();
    });
    // One read transaction: every conversation from the same snapshot.
    this.readRecent = db.transaction(
      (userID: string, limit: number): RecentConversation[] =>
        this.statements.peers.all({ user: userID }).map((peerID) => ({
          peerID,
          ...page(
            this.statements.latestOf.all({ ...pair(userID, peerID), limit }),
            limit,
          ),
        })),
    );
  }

  saveMessage(message: Message): Promise<Message> {
    return this.database.write(() => this.insert(message));
  }

  /**
   * Within a write: the message, its conversation if new, and the latest id at the batch's end;
   * or, if its sender already stored a message with its `clientMessageId`, nothing but reading
   * that one. Returns the stored message.
   */
  private insert(message: Message): Message {
    const { id, content, from, to, at, clientMessageId } = message;
    const { low, high } = pair(from, to);
    if (clientMessageId === undefined)
      this.statements.insert.run(low, high, id, from, to, content, at);
    else {
      const { changes } = this.statements.insertKeyed.run(
        low,
        high,
        id,
        from,
        to,
        content,
        at,
        clientMessageId,
      );
      if (changes === 0) {
        // Neither its conversation nor `meta` changes: this id is never used.
        const earlier = this.statements.byClientID.get(from, clientMessageId);
        if (earlier === undefined)
          throw new Error('a duplicate clientMessageId without its message');
        return toMessage(earlier);
      }
    }
    const key = pairKey(low, high);
    if (!this.knownPairs.has(key)) {
      this.statements.addPeer.run({ user: from, peer: to });
      if (to !== from) this.statements.addPeer.run({ user: to, peer: from });
      if (this.knownPairs.size >= MAX_KNOWN_PAIRS) this.knownPairs.clear();
      this.knownPairs.add(key);
    }
    if (this.batchLatest === undefined) {
      this.batchLatest = id;
      this.database.atEndOfBatch(this.storeBatchLatest);
    } else if (id > this.batchLatest) this.batchLatest = id;
    const received = pairKey(to, from);
    if (this.batchReceived.size === 0)
      this.database.atEndOfBatch(this.storeBatchReceived);
    this.batchReceived.set(
      received,
      (this.batchReceived.get(received) ?? 0) + 1,
    );
    return message;
  }

  /**
   * From within a write: adds the counts of the batch so far to `conversations.received` now, so
   * that a statement after it sees every message of the transaction (conversation state counting
   * unread messages for a receipt written in the same batch).
   */
  flushReceived(): void {
    this.storeBatchReceived();
  }

  private readonly storeBatchReceived = (): void => {
    for (const [key, count] of this.batchReceived) {
      const [user, peer] = key.split('\u0000');
      this.statements.addReceived.run({ user, peer, count });
    }
    this.batchReceived.clear();
  };

  private readonly storeBatchLatest = (): void => {
    if (this.batchLatest === undefined) return;
    this.statements.raiseLatest.run({ id: this.batchLatest });
    this.batchLatest = undefined;
  };

  async findRecentConversations(
    userID: string,
    limit: number,
  ): Promise<RecentConversation[]> {
    return this.readRecent(userID, limit);
  }

  async findMessagesBefore(
    userID: string,
    peerID: string,
    beforeID: string,
    limit: number,
  ): Promise<MessagePage> {
    return page(
      this.statements.before.all({
        ...pair(userID, peerID),
        before: beforeID,
        limit,
      }),
      limit,
    );
  }

  async deleteUserMessages(userID: string, limit: number): Promise<boolean> {
    return this.database.write(() => {
      let budget = limit;
      for (const peerID of this.statements.peers.all({ user: userID })) {
        if (budget <= 0) return false;
        const { changes } = this.statements.deleteOldest.run({
          ...pair(userID, peerID),
          limit: budget,
        });
        budget -= changes;
        // A full batch may have left some behind; the next call will see.
        if (budget <= 0) return false;
        this.statements.deletePeers.run({ user: userID, peer: peerID });
        const { low, high } = pair(userID, peerID);
        this.knownPairs.delete(pairKey(low, high));
        budget -= 1;
      }
      return true;
    });
  }

  async findLatestMessageID(): Promise<string | undefined> {
    return this.statements.latest.get();
  }
}

/** Rows newest first, at most `limit + 1` → the page oldest first, and whether there are more. */
function page(rows: MessageRow[], limit: number): MessagePage {
  const hasMore = rows.length > limit;
  const messages = (hasMore ? rows.slice(0, limit) : rows)
    .reverse()
    .map(toMessage);
  return { messages, hasMore };
}
