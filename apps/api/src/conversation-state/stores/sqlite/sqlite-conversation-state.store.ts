import type { Database } from 'better-sqlite3';
import type { SqliteMessageStore } from '../../../messaging/stores/sqlite/sqlite-message.store';
import type { SqliteDatabase } from '../../../shared/sqlite/sqlite-database';
import {
  advanceMarkers,
  ConversationStateStore,
  definedOnly,
  type ConversationState,
  type MarkerUpdate,
  type MarkerUpdateResult,
  type Markers,
} from '../conversation-state.store';
import type { MarkersRow } from '../markers-row';

type MarkerRow = Omit<MarkersRow, 'reader' | 'peer'>;

interface StateRow {
  peer: string;
  read: string | null;
  unread: number;
  their_delivered: string | null;
  their_read: string | null;
}

/** The conversation key of the `messages` table: the two userIDs in order. */
const pair = (a: string, b: string) =>
  a < b ? { low: a, high: b } : { low: b, high: a };

const orUndefined = (value: string | null) => value ?? undefined;

function prepareStatements(db: Database) {
  return {
    // The primary key of `messages`: one lookup per id.
    sender: db.prepare<
      { low: string; high: string; id: string },
      { sender: string; recipient: string }
    >(
      `SELECT sender, recipient FROM messages WHERE low = @low AND high = @high AND id = @id`,
    ),
    markers: db.prepare<{ reader: string; peer: string }, MarkerRow>(
      `SELECT delivered, read, public_read, read_count FROM markers
       WHERE reader = @reader AND peer = @peer`,
    ),
    // The peer's messages newly covered by a read marker: a range of the primary key.
    countRead: db
      .prepare<
        {
          low: string;
          high: string;
          after: string;
          upTo: string;
          peer: string;
        },
        number
      >(
        `SELECT COUNT(*) FROM messages
         WHERE low = @low AND high = @high AND id > @after AND id <= @upTo AND sender = @peer`,
      )
      .pluck(),
    received: db
      .prepare<
        { reader: string; peer: string },
        number
      >(`SELECT received FROM conversations WHERE user_id = @reader AND peer_id = @peer`)
      .pluck(),
    save: db.prepare<MarkersRow>(
      `INSERT INTO markers (reader, peer, delivered, read, public_read, read_count)
       VALUES (@reader, @peer, @delivered, @read, @public_read, @read_count)
       ON CONFLICT (reader, peer) DO UPDATE SET delivered = excluded.delivered,
         read = excluded.read, public_read = excluded.public_read,
         read_count = excluded.read_count`,
    ),
    // Every asked-for conversation of the user in one statement: both sides' markers and the
    // unread count from the counters, whatever the conversations' lengths.
    states: db.prepare<{ user: string; peers: string }, StateRow>(
      `SELECT c.peer_id AS peer, mine.read AS read,
         c.received - coalesce(mine.read_count, 0) AS unread,
         theirs.delivered AS their_delivered, theirs.public_read AS their_read
       FROM conversations c
       LEFT JOIN markers mine ON mine.reader = c.user_id AND mine.peer = c.peer_id
       LEFT JOIN markers theirs ON theirs.reader = c.peer_id AND theirs.peer = c.user_id
       WHERE c.user_id = @user AND c.peer_id IN (SELECT value FROM json_each(@peers))`,
    ),
    deleteAsReader: db.prepare<{ user: string; limit: number }>(
      `DELETE FROM markers WHERE reader = @user AND peer IN (
         SELECT peer FROM markers WHERE reader = @user LIMIT @limit)`,
    ),
    deleteAsPeer: db.prepare<{ user: string; limit: number }>(
      `DELETE FROM markers WHERE peer = @user AND reader IN (
         SELECT reader FROM markers WHERE peer = @user LIMIT @limit)`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * `STORE=sqlite` markers: the `markers` table, beside the `messages` and `conversations` of
 * SqliteMessageStore (see migrations.ts, step 5). Unread = `conversations.received` (kept by the
 * message store) minus `markers.read_count` (the peer's messages at or before the read marker,
 * raised by counting only the messages a receipt newly covers): no conversation is walked to
 * answer `users`. A receipt is checked, applied and counted in one write of the group commit, with
 * the messages of its batch.
 */
export class SqliteConversationStateStore extends ConversationStateStore {
  private readonly statements: Statements;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly messages: SqliteMessageStore,
  ) {
    super();
    this.statements = prepareStatements(database.db);
  }

  updateMarkers(update: MarkerUpdate): Promise<MarkerUpdateResult> {
    return this.database.write(() => this.apply(update));
  }

  /** Within a write: check, apply, count. */
  private apply(update: MarkerUpdate): MarkerUpdateResult {
    const { reader, peer } = update;
    const conversation = pair(reader, peer);
    for (const id of [update.delivered, update.read]) {
      if (id === undefined) continue;
      const found = this.statements.sender.get({ ...conversation, id });
      if (found?.sender !== peer || found.recipient !== reader)
        return { ok: false };
    }
    const row = this.statements.markers.get({ reader, peer });
    const current: Markers = {
      delivered: orUndefined(row?.delivered ?? null),
      read: orUndefined(row?.read ?? null),
      publicRead: orUndefined(row?.public_read ?? null),
    };
    const { markers, moved } = advanceMarkers(current, update);
    let readCount = row?.read_count ?? 0;
    if (moved.read !== undefined)
      readCount +=
        this.statements.countRead.get({
          ...conversation,
          after: current.read ?? '',
          upTo: moved.read,
          peer,
        }) ?? 0;
    if (Object.keys(moved).length > 0)
      this.statements.save.run({
        reader,
        peer,
        delivered: markers.delivered ?? null,
        read: markers.read ?? null,
        public_read: markers.publicRead ?? null,
        read_count: readCount,
      });
    // The messages of this batch so far are counted in `received` too.
    this.messages.flushReceived();
    const received = this.statements.received.get({ reader, peer }) ?? 0;
    return { ok: true, moved, unread: received - readCount };
  }

  async findStates(
    userID: string,
    peerIDs: readonly string[],
  ): Promise<ConversationState[]> {
    if (peerIDs.length === 0) return [];
    return this.statements.states
      .all({ user: userID, peers: JSON.stringify(peerIDs) })
      .map((row) =>
        definedOnly({
          peerID: row.peer,
          read: orUndefined(row.read),
          unread: row.unread,
          theirDelivered: orUndefined(row.their_delivered),
          theirPublicRead: orUndefined(row.their_read),
        }),
      );
  }

  deleteUserMarkers(userID: string, limit: number): Promise<boolean> {
    return this.database.write(() => {
      const asReader = this.statements.deleteAsReader.run({
        user: userID,
        limit,
      }).changes;
      if (asReader >= limit) return false;
      const asPeer = this.statements.deleteAsPeer.run({
        user: userID,
        limit: limit - asReader,
      }).changes;
      return asReader + asPeer < limit;
    });
  }
}
