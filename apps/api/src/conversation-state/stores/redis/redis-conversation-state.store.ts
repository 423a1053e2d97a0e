import type { Redis } from 'ioredis';
import { TurnBatch } from '../../../shared/batching';
import { defineOnce } from '../../../shared/redis/define-once';
import type { RedisKeys } from '../../../shared/redis/redis-keys';
import {
  ConversationStateStore,
  definedOnly,
  type ConversationState,
  type MarkerUpdate,
  type MarkerUpdateResult,
  type Markers,
} from '../conversation-state.store';

/** Lua: the later of two ids, `false` (absent) counting least. */
const LATER = `
local function later(a, b)
  if not a then return b end
  if b and b > a then return b end
  return a
end
`;

/**
 * Applies the receipts of one conversation (every key in its hash slot): each is checked (every id
 * it names in the reader's `received` index, i.e. a message from the other user to the reader),
 * then its markers move forward (`read` moves `delivered`, and the public marker if allowed).
 * KEYS: markers, the `received` index of the lower userID, of the higher.
 * ARGV: the lower userID, then per receipt: reader, delivered, read ('' for none), public (1/0).
 * Returns per receipt { 0 } (refused, nothing applied) or { 1, the moved delivered, read and
 * public markers ('' where one did not move), the unread count after the read marker }.
 */
const UPDATE_MARKERS = `${LATER}
local results = {}
for i = 2, #ARGV, 4 do
  local reader, public = ARGV[i], ARGV[i + 3] == '1'
  local delivered, read = ARGV[i + 1] ~= '' and ARGV[i + 1], ARGV[i + 2] ~= '' and ARGV[i + 2]
  local received = reader == ARGV[1] and KEYS[2] or KEYS[3]
  if (delivered and not redis.call('ZSCORE', received, delivered))
    or (read and not redis.call('ZSCORE', received, read)) then
    results[#results + 1] = { 0 }
  else
    local fields = { 'delivered:' .. reader, 'read:' .. reader, 'public:' .. reader }
    local old = redis.call('HMGET', KEYS[1], fields[1], fields[2], fields[3])
    local new = { later(later(old[1], delivered), read), later(old[2], read), old[3] }
    if public then new[3] = later(old[3], read) end
    local moved = { '', '', '' }
    for m = 1, 3 do
      if new[m] and new[m] ~= old[m] then
        redis.call('HSET', KEYS[1], fields[m], new[m])
        moved[m] = new[m]
      end
    end
    local unread
    if new[2] then unread = redis.call('ZLEXCOUNT', received, '(' .. new[2], '+')
    else unread = redis.call('ZCARD', received) end
    results[#results + 1] = { 1, moved[1], moved[2], moved[3], unread }
  end
end
return results
`;

/**
 * One conversation as one of its users sees it; {} if it has no message either way.
 * KEYS: markers, the user's `received` index, the peer's. ARGV: user, peer.
 * Returns { the user's read marker, unread, the peer's delivered and public read markers } ('' for
 * an absent marker).
 */
const CONVERSATION_STATE = `
local unread = redis.call('ZCARD', KEYS[2])
if unread == 0 and redis.call('EXISTS', KEYS[3]) == 0 then return {} end
local m = redis.call('HMGET', KEYS[1], 'read:' .. ARGV[1], 'delivered:' .. ARGV[2], 'public:' .. ARGV[2])
if m[1] then unread = redis.call('ZLEXCOUNT', KEYS[2], '(' .. m[1], '+') end
return { m[1] or '', unread, m[2] or '', m[3] or '' }
`;

/** Most receipts written by one turn's scripts. */
const MAX_BATCH = 1000;

type UpdateReply = [0] | [1, string, string, string, number];

interface ConversationStateCommands {
  chatUpdateMarkers(
    numberOfKeys: number,
    ...keysAndArgs: string[]
  ): Promise<UpdateReply[]>;
  chatConversationState(
    markers: string,
    mine: string,
    theirs: string,
    userID: string,
    peerID: string,
  ): Promise<[string, number, string, string] | []>;
}

const orUndefined = (id: string) => (id === '' ? undefined : id);

/**
 * `STORE=redis` markers: one hash per conversation, beside the `received` indexes of its two users
 * (sorted sets of message ids that the message store's save script writes with each message). Every
 * key of a conversation carries its hash tag (`RedisKeys.conversationTag`), so each script touches
 * one hash slot. The receipts of one turn go to Redis together (TurnBatch): one script per
 * conversation, all of the turn's in one write (the store client pipelines a turn's commands).
 * Unread counts are ZLEXCOUNTs after the read marker: O(log n), whatever the history's length.
 */
export class RedisConversationStateStore extends ConversationStateStore {
  private readonly redis: Redis & ConversationStateCommands;
  private readonly updates = new TurnBatch<MarkerUpdate, MarkerUpdateResult>(
    (batch) => this.writeUpdates(batch),
    MAX_BATCH,
  );

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    super();
    defineOnce(redis, 'chatUpdateMarkers', 'variadic', UPDATE_MARKERS);
    defineOnce(redis, 'chatConversationState', 3, CONVERSATION_STATE);
    this.redis = redis as Redis & ConversationStateCommands;
  }

  updateMarkers(update: MarkerUpdate): Promise<MarkerUpdateResult> {
    return this.updates.add(update);
  }

  async findStates(
    userID: string,
    peerIDs: readonly string[],
  ): Promise<ConversationState[]> {
    const peers = [...new Set(peerIDs)];
    // One script per conversation (each in its own slot), all in one round trip.
    const replies = await Promise.all(
      peers.map((peerID) =>
        this.redis.chatConversationState(
          this.keys.markers(userID, peerID),
          this.keys.received(userID, peerID),
          this.keys.received(peerID, userID),
          userID,
          peerID,
        ),
      ),
    );
    return replies.flatMap((reply, i) => {
      if (reply.length === 0) return [];
      const [read, unread, theirDelivered, theirPublicRead] = reply;
      return [
        definedOnly({
          peerID: peers[i],
          read: orUndefined(read),
          unread,
          theirDelivered: orUndefined(theirDelivered),
          theirPublicRead: orUndefined(theirPublicRead),
        }),
      ];
    });
  }

  /**
   * Deletes the markers and `received` indexes of a user's conversations, a conversation (one
   * command, one slot) per unit of `limit`. Its conversations are the message store's partner set
   * (`peers:<userID>`), so it must run before their messages are deleted (the pruner does); from
   * then on a receipt naming one of their messages finds no index and writes nothing. The set is
   * walked with SSCAN; its cursor is kept between calls for the same user.
   */
  async deleteUserMarkers(userID: string, limit: number): Promise<boolean> {
    let cursor = this.deleteCursors.get(userID) ?? '0';
    let budget = limit;
    do {
      const [next, peers] = await this.redis.sscan(
        this.keys.peers(userID),
        cursor,
        'COUNT',
        Math.max(1, budget),
      );
      cursor = next;
      const pipeline = this.redis.pipeline();
      for (const peerID of peers)
        pipeline.del(
          this.keys.markers(userID, peerID),
          this.keys.received(userID, peerID),
          this.keys.received(peerID, userID),
        );
      for (const [error] of (await pipeline.exec()) ?? [])
        if (error) throw error;
      budget -= peers.length;
    } while (cursor !== '0' && budget > 0);
    if (cursor === '0') {
      this.deleteCursors.delete(userID);
      return true;
    }
    this.deleteCursors.set(userID, cursor);
    return false;
  }

  /** Where `deleteUserMarkers` stopped, per user being forgotten. */
  private readonly deleteCursors = new Map<string, string>();

  /** A turn's receipts: one script per conversation, sent together. */
  private async writeUpdates(
    batch: MarkerUpdate[],
  ): Promise<(MarkerUpdateResult | Error)[]> {
    const byConversation = new Map<string, number[]>();
    batch.forEach(({ reader, peer }, i) => {
      const tag = this.keys.conversationTag(reader, peer);
      byConversation.set(tag, [...(byConversation.get(tag) ?? []), i]);
    });
    const results: (MarkerUpdateResult | Error)[] = new Array(batch.length);
    await Promise.all(
      [...byConversation.values()].map(async (indexes) => {
        const { reader, peer } = batch[indexes[0]];
        const [low, high] = reader < peer ? [reader, peer] : [peer, reader];
        const args = indexes.flatMap((i) => {
          const update = batch[i];
          return [
            update.reader,
            update.delivered ?? '',
            update.read ?? '',
            update.publicRead ? '1' : '0',
          ];
        });
        try {
          const replies = await this.redis.chatUpdateMarkers(
            3,
            this.keys.markers(low, high),
            this.keys.received(low, high),
            this.keys.received(high, low),
            low,
            ...args,
          );
          indexes.forEach((i, n) => (results[i] = toResult(replies[n])));
        } catch (error) {
          for (const i of indexes)
            results[i] =
              error instanceof Error ? error : new Error(String(error));
        }
      }),
    );
    return results;
  }
}

function toResult(reply: UpdateReply): MarkerUpdateResult {
  if (reply[0] === 0) return { ok: false };
  const [, delivered, read, publicRead, unread] = reply;
  const moved: Markers = {};
  if (delivered !== '') moved.delivered = delivered;
  if (read !== '') moved.read = read;
  if (publicRead !== '') moved.publicRead = publicRead;
  return { ok: true, moved, unread };
}
