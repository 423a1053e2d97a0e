import { sql, type Transaction } from 'kysely';
import type { PostgresGroupCommit } from '../../../shared/postgres/group-commit';
import type { PostgresDatabase } from '../../../shared/postgres/postgres-database';
import type { Schema } from '../../../shared/postgres/schema';
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

/** The conversation key of the `messages` table: the two userIDs in order. */
const pair = (a: string, b: string) =>
  a < b ? { low: a, high: b } : { low: b, high: a };

const orUndefined = (value: string | null) => value ?? undefined;

/** One string per (reader, peer) (userIDs hold no NUL character). */
const KEY_SEPARATOR = '\u0000';

/** A range of the peer's messages a read marker newly covers: (after, upto]. */
interface Range {
  reader: string;
  peer: string;
  after: string;
  upto: string;
}

/** A markers row as the batch moves it: its markers, and the peer's messages they count read. */
interface Held {
  markers: Markers;
  readCount: number;
  moved: boolean;
}

/**
 * `STORE=postgres` markers: the `markers` table, beside the `messages` and `conversations` of
 * PostgresMessageStore (shared/postgres/migrations.ts). Unread = `conversations.received` (raised
 * by each batch of messages) minus `markers.read_count` (the peer's messages at or before the read
 * marker, raised by counting only the messages a receipt newly covers, a range of the primary
 * key): no conversation is walked to answer `users`. The receipts of one turn are one transaction
 * of a group commit of their own, a few statements whatever their number (`applyAll`): the ids
 * checked, the markers rows locked (FOR UPDATE, in key order, made first if missing) so that two
 * nodes' receipts for one reader and peer apply one after the other, the newly read ranges
 * counted, the rows updated, the `received` counts read.
 */
export class PostgresConversationStateStore extends ConversationStateStore {
  private readonly updates: PostgresGroupCommit<
    MarkerUpdate,
    MarkerUpdateResult
  >;

  constructor(private readonly database: PostgresDatabase) {
    super();
    this.updates = database.groupCommit((trx, updates) =>
      this.applyAll(trx, updates),
    );
  }

  updateMarkers(update: MarkerUpdate): Promise<MarkerUpdateResult> {
    return this.updates.add(update);
  }

  /** Within a batch's transaction: check, lock, apply in order, count, write, answer. */
  private async applyAll(
    trx: Transaction<Schema>,
    updates: MarkerUpdate[],
  ): Promise<MarkerUpdateResult[]> {
    const valid = await this.checkIds(trx, updates);
    const keyOf = (u: MarkerUpdate) => u.reader + KEY_SEPARATOR + u.peer;
    const keys = [...new Set(updates.filter((_, i) => valid[i]).map(keyOf))];
    const held = await this.lockMarkers(trx, keys.sort());
    // Each update applies to the markers the previous ones of the batch left.
    const ranges: Range[] = [];
    const rangeOf: (number | undefined)[] = [];
    const moves = updates.map((update, i) => {
      if (!valid[i]) return undefined;
      const row = held.get(keyOf(update));
      if (!row) throw new Error('markers row missing after its insert');
      const { markers, moved } = advanceMarkers(row.markers, update);
      if (moved.read !== undefined) {
        rangeOf[i] = ranges.length;
        ranges.push({
          ...update,
          after: row.markers.read ?? '',
          upto: moved.read,
        });
      }
      if (Object.keys(moved).length > 0) row.moved = true;
      row.markers = markers;
      return moved;
    });
    const counts = await this.countRanges(trx, ranges);
    const readCounts = updates.map((update, i) => {
      const row = held.get(keyOf(update));
      const range = rangeOf[i];
      if (!row || !moves[i]) return 0;
      if (range !== undefined) row.readCount += counts[range];
      return row.readCount;
    });
    await this.writeMarkers(trx, held);
    const received = await this.receivedCounts(trx, keys);
    return updates.map((update, i) => {
      const moved = moves[i];
      if (!moved) return { ok: false };
      return {
        ok: true,
        moved,
        unread: (received.get(keyOf(update)) ?? 0) - readCounts[i],
      };
    });
  }

  /** Whether every id of each update is a message from its peer to its reader. */
  private async checkIds(
    trx: Transaction<Schema>,
    updates: MarkerUpdate[],
  ): Promise<boolean[]> {
    const asked = updates.flatMap(({ reader, peer, delivered, read }) =>
      [delivered, read]
        .filter((id): id is string => id !== undefined)
        .map((id) => ({ ...pair(reader, peer), id })),
    );
    const found = new Map<string, { sender: string; recipient: string }>();
    if (asked.length > 0) {
      const { rows } = await sql<{
        low: string;
        high: string;
        id: string;
        sender: string;
        recipient: string;
      }>`
        SELECT low, high, id, sender, recipient FROM messages
        WHERE (low, high, id) IN (SELECT * FROM unnest(
          ${asked.map((a) => a.low)}::text[],
          ${asked.map((a) => a.high)}::text[],
          ${asked.map((a) => a.id)}::text[]))`.execute(trx);
      for (const row of rows)
        found.set(
          row.low + KEY_SEPARATOR + row.high + KEY_SEPARATOR + row.id,
          row,
        );
    }
    return updates.map(({ reader, peer, delivered, read }) => {
      const { low, high } = pair(reader, peer);
      return [delivered, read].every((id) => {
        if (id === undefined) return true;
        const row = found.get(low + KEY_SEPARATOR + high + KEY_SEPARATOR + id);
        return row?.sender === peer && row.recipient === reader;
      });
    });
  }

  /** The markers rows of `keys` (sorted), made if missing, locked until the commit. */
  private async lockMarkers(
    trx: Transaction<Schema>,
    keys: string[],
  ): Promise<Map<string, Held>> {
    const held = new Map<string, Held>();
    if (keys.length === 0) return held;
    const split = keys.map((key) => key.split(KEY_SEPARATOR));
    const readers = split.map(([reader]) => reader);
    const peers = split.map(([, peer]) => peer);
    const select = async () => {
      const { rows } = await sql<MarkersRow>`
        SELECT reader, peer, delivered, read, public_read, read_count FROM markers
        WHERE (reader, peer) IN (SELECT * FROM unnest(
          ${readers}::text[], ${peers}::text[]))
        ORDER BY reader, peer FOR UPDATE`.execute(trx);
      for (const row of rows)
        held.set(row.reader + KEY_SEPARATOR + row.peer, {
          markers: {
            delivered: orUndefined(row.delivered),
            read: orUndefined(row.read),
            publicRead: orUndefined(row.public_read),
          },
          readCount: row.read_count,
          moved: false,
        });
    };
    await select();
    if (held.size === keys.length) return held;
    await sql`
      INSERT INTO markers (reader, peer)
      SELECT * FROM unnest(${readers}::text[], ${peers}::text[]) ORDER BY 1, 2
      ON CONFLICT DO NOTHING`.execute(trx);
    await select();
    return held;
  }

  /** The peer's messages in each range newly read, in one statement. */
  private async countRanges(
    trx: Transaction<Schema>,
    ranges: Range[],
  ): Promise<number[]> {
    if (ranges.length === 0) return [];
    const pairs = ranges.map((r) => pair(r.reader, r.peer));
    const { rows } = await sql<{ n: number }>`
      SELECT (SELECT count(*) FROM messages m
        WHERE m.low = r.low AND m.high = r.high AND m.sender = r.sender
          AND m.id > r.after AND m.id <= r.upto) AS n
      FROM unnest(
        ${pairs.map((p) => p.low)}::text[],
        ${pairs.map((p) => p.high)}::text[],
        ${ranges.map((r) => r.peer)}::text[],
        ${ranges.map((r) => r.after)}::text[],
        ${ranges.map((r) => r.upto)}::text[])
        WITH ORDINALITY AS r(low, high, sender, after, upto, i)
      ORDER BY r.i`.execute(trx);
    return rows.map((row) => Number(row.n));
  }

  /** The rows the batch moved, in one statement (their locks are held: key order is kept). */
  private async writeMarkers(
    trx: Transaction<Schema>,
    held: Map<string, Held>,
  ): Promise<void> {
    const moved = [...held].filter(([, row]) => row.moved);
    if (moved.length === 0) return;
    const split = moved.map(([key]) => key.split(KEY_SEPARATOR));
    const rows = moved.map(([, row]) => row);
    await sql`
      UPDATE markers m SET delivered = u.delivered, read = u.read,
        public_read = u.public_read, read_count = u.read_count
      FROM unnest(
        ${split.map(([reader]) => reader)}::text[],
        ${split.map(([, peer]) => peer)}::text[],
        ${rows.map((r) => r.markers.delivered ?? null)}::text[],
        ${rows.map((r) => r.markers.read ?? null)}::text[],
        ${rows.map((r) => r.markers.publicRead ?? null)}::text[],
        ${rows.map((r) => r.readCount)}::bigint[])
        AS u(reader, peer, delivered, read, public_read, read_count)
      WHERE m.reader = u.reader AND m.peer = u.peer`.execute(trx);
  }

  /** Messages each reader received from each peer (what unread counts start from), read last. */
  private async receivedCounts(
    trx: Transaction<Schema>,
    keys: string[],
  ): Promise<Map<string, number>> {
    const received = new Map<string, number>();
    if (keys.length === 0) return received;
    const split = keys.map((key) => key.split(KEY_SEPARATOR));
    const { rows } = await sql<{
      user_id: string;
      peer_id: string;
      received: number;
    }>`
      SELECT user_id, peer_id, received FROM conversations
      WHERE (user_id, peer_id) IN (SELECT * FROM unnest(
        ${split.map(([user]) => user)}::text[],
        ${split.map(([, peer]) => peer)}::text[]))`.execute(trx);
    for (const row of rows)
      received.set(row.user_id + KEY_SEPARATOR + row.peer_id, row.received);
    return received;
  }

  async findStates(
    userID: string,
    peerIDs: readonly string[],
  ): Promise<ConversationState[]> {
    if (peerIDs.length === 0) return [];
    // Every asked-for conversation of the user in one statement: both sides' markers and the
    // unread count from the counters, whatever the conversations' lengths.
    const { rows } = await sql<{
      peer: string;
      read: string | null;
      unread: number;
      their_delivered: string | null;
      their_read: string | null;
    }>`
      SELECT c.peer_id AS peer, mine.read AS read,
        c.received - coalesce(mine.read_count, 0) AS unread,
        theirs.delivered AS their_delivered, theirs.public_read AS their_read
      FROM conversations c
      LEFT JOIN markers mine ON mine.reader = c.user_id AND mine.peer = c.peer_id
      LEFT JOIN markers theirs ON theirs.reader = c.peer_id AND theirs.peer = c.user_id
      WHERE c.user_id = ${userID} AND c.peer_id = ANY(${[...peerIDs]})`.execute(
      this.database.db,
    );
    return rows.map((row) =>
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
    return this.database.write(async (trx) => {
      const asReader = await this.deleteSome(trx, 'reader', userID, limit);
      if (asReader >= limit) return false;
      const asPeer = await this.deleteSome(
        trx,
        'peer',
        userID,
        limit - asReader,
      );
      return asReader + asPeer < limit;
    });
  }

  /** Deletes at most `limit` markers whose `column` is `userID`; how many it deleted. */
  private async deleteSome(
    trx: Transaction<Schema>,
    column: 'reader' | 'peer',
    userID: string,
    limit: number,
  ): Promise<number> {
    const result = await sql`
      DELETE FROM markers WHERE (reader, peer) IN (
        SELECT reader, peer FROM markers WHERE ${sql.ref(column)} = ${userID}
        LIMIT ${limit})`.execute(trx);
    return Number(result.numAffectedRows ?? 0);
  }
}
