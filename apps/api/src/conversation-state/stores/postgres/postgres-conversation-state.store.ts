import { sql, type Transaction } from 'kysely';
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

/** The conversation key of the `messages` table: the two userIDs in order. */
const pair = (a: string, b: string) =>
  a < b ? { low: a, high: b } : { low: b, high: a };

const orUndefined = (value: string | null) => value ?? undefined;

/**
 * `STORE=postgres` markers: the `markers` table, beside the `messages` and `conversations` of
 * PostgresMessageStore (shared/postgres/migrations.ts). Unread = `conversations.received` (raised
 * by each batch of messages) minus `markers.read_count` (the peer's messages at or before the read
 * marker, raised by counting only the messages a receipt newly covers, a range of the primary
 * key): no conversation is walked to answer `users`. A receipt is checked, applied and counted in
 * one write of the group commit, its markers row locked (FOR UPDATE) so that two nodes' receipts
 * for one reader and peer apply one after the other.
 */
export class PostgresConversationStateStore extends ConversationStateStore {
  constructor(private readonly database: PostgresDatabase) {
    super();
  }

  updateMarkers(update: MarkerUpdate): Promise<MarkerUpdateResult> {
    return this.database.write((trx) => this.apply(trx, update));
  }

  /** Within a write: check, apply, count. */
  private async apply(
    trx: Transaction<Schema>,
    update: MarkerUpdate,
  ): Promise<MarkerUpdateResult> {
    const { reader, peer } = update;
    const { low, high } = pair(reader, peer);
    const ids = [update.delivered, update.read].filter(
      (id): id is string => id !== undefined,
    );
    if (ids.length > 0) {
      const found = await trx
        .selectFrom('messages')
        .select(['id', 'sender', 'recipient'])
        .where('low', '=', low)
        .where('high', '=', high)
        .where('id', '=', sql<string>`ANY(${ids})`)
        .execute();
      const valid = new Set(
        found
          .filter((row) => row.sender === peer && row.recipient === reader)
          .map((row) => row.id),
      );
      if (!ids.every((id) => valid.has(id))) return { ok: false };
    }
    const row = await this.lockMarkers(trx, reader, peer);
    const current: Markers = {
      delivered: orUndefined(row.delivered),
      read: orUndefined(row.read),
      publicRead: orUndefined(row.public_read),
    };
    const { markers, moved } = advanceMarkers(current, update);
    let readCount = row.read_count;
    if (moved.read !== undefined) {
      const counted = await trx
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('low', '=', low)
        .where('high', '=', high)
        .where('id', '>', current.read ?? '')
        .where('id', '<=', moved.read)
        .where('sender', '=', peer)
        .executeTakeFirstOrThrow();
      readCount += Number(counted.n);
    }
    if (Object.keys(moved).length > 0)
      await trx
        .updateTable('markers')
        .set({
          delivered: markers.delivered ?? null,
          read: markers.read ?? null,
          public_read: markers.publicRead ?? null,
          read_count: readCount,
        })
        .where('reader', '=', reader)
        .where('peer', '=', peer)
        .execute();
    const conversation = await trx
      .selectFrom('conversations')
      .select('received')
      .where('user_id', '=', reader)
      .where('peer_id', '=', peer)
      .executeTakeFirst();
    return {
      ok: true,
      moved,
      unread: (conversation?.received ?? 0) - readCount,
    };
  }

  /** The markers row of `reader` over `peer`, made if missing, locked until the commit. */
  private async lockMarkers(
    trx: Transaction<Schema>,
    reader: string,
    peer: string,
  ) {
    const select = () =>
      trx
        .selectFrom('markers')
        .select(['delivered', 'read', 'public_read', 'read_count'])
        .where('reader', '=', reader)
        .where('peer', '=', peer)
        .forUpdate()
        .executeTakeFirst();
    const row = await select();
    if (row) return row;
    await trx
      .insertInto('markers')
      .values({
        reader,
        peer,
        delivered: null,
        read: null,
        public_read: null,
      })
      .onConflict((conflict) => conflict.doNothing())
      .execute();
    const made = await select();
    if (!made) throw new Error('markers row missing after its insert');
    return made;
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
