import { MessageType, type ClusterMessage } from 'socket.io-adapter';
import type { Namespace } from 'socket.io';
import { TurnCollector } from '../shared/batching';

/*
 * The one use of @socket.io/redis-streams-adapter beyond its public API. Written against
 * @socket.io/redis-streams-adapter 0.3.1 (pinned exactly in package.json): it wraps methods of the
 * adapter's (unexported) class, `doPublish`, `encode` and `onRawMessage`, reads its `uid`, and
 * writes stream entries of a type of its own, which only this wrapper reads back.
 * socket.io-redis-streams-adapter.spec.ts fails if that shape changes; check this file on every
 * upgrade (a later adapter may make it unnecessary).
 */

/** The version this file was written against (the spec checks package.json pins it). */
export const REDIS_STREAMS_ADAPTER_VERSION = '0.3.1';

/** A stream entry as the streams adapter writes and reads it (all fields are strings). */
interface RawMessage {
  uid: string;
  nsp: string;
  type: string;
  data?: string;
}

/** What this file uses of @socket.io/redis-streams-adapter's (unexported) adapter class. */
interface StreamsAdapter {
  uid: string;
  doPublish(message: ClusterMessage): Promise<string>;
  encode(message: ClusterMessage): RawMessage;
  onRawMessage(raw: RawMessage, offset: string): void;
}

type AdapterFactory = (nsp: Namespace) => unknown;

/**
 * The type of an entry holding several messages: `data` is the JSON array of their raw forms.
 * Outside socket.io-adapter's MessageType range; an unpatched reader ignores it.
 */
export const BATCH_TYPE = 1000;

/** At most this many messages go in one stream entry. */
const MAX_BATCH = 500;

/** Messages the streams adapter sends by PUB/SUB rather than through the stream. */
const isEphemeral = (message: ClusterMessage): boolean =>
  message.type === MessageType.SERVER_SIDE_EMIT ||
  message.type === MessageType.FETCH_SOCKETS ||
  (message.type === MessageType.BROADCAST &&
    (message.data as { requestId?: string }).requestId !== undefined);

interface Pending {
  message: ClusterMessage;
  resolve: (offset: string) => void;
  reject: (error: unknown) => void;
}

export interface BatchOptions {
  /**
   * Off: every message is written as the stock adapter writes it, one entry each, which nodes of
   * earlier versions read too (first step of a rolling upgrade: REDIS_BATCH_BROADCASTS=false).
   */
  batchWrites: boolean;
  /**
   * The server's `connectionStateRecovery` option is set: its namespaces replay single stream
   * entries by type, so their messages keep the adapter's own path.
   */
  connectionStateRecovery: boolean;
  /** Called with the id of every stream entry this node reads (its own included): the lag metric. */
  onEntryRead?: (offset: string) => void;
}

/**
 * Wraps the Redis streams adapter's factory so that a node reads batch entries, skips its own
 * entries unread, and (with `batchWrites`) writes the stream messages of one turn (its broadcasts:
 * one per private message) as one entry instead of one each.
 *
 * Per message, the stock adapter costs an XADD (an ioredis command, its promise and buffers), a
 * stream entry that every node reads back, and a JSON decode on every node, its own included
 * (dropped only afterwards, as "from self"). One entry per turn makes those per turn instead, and
 * far fewer short-lived objects survive the young-generation collections (measured: most of what
 * the api promoted under load were ioredis commands). Order holds: a node's messages are in the
 * stream in the order it published them, every caller's promise resolves with the entry's id once
 * it is written, in that order (local delivery waits for it, as before).
 *
 * Ephemeral messages (PUB/SUB) and namespaces with connection state recovery (which replays
 * single entries by type) keep the adapter's own path.
 */
export function batchStreamPublishes(
  factory: AdapterFactory,
  { batchWrites, connectionStateRecovery, onEntryRead }: BatchOptions,
): AdapterFactory {
  // socket.io calls it with `new`: a function, not an arrow, returning the adapter made.
  return function (nsp: Namespace) {
    const adapter = factory(nsp) as StreamsAdapter;
    const receive = adapter.onRawMessage.bind(adapter);

    // Read whether or not this node writes batches: nodes upgraded with writes off must understand
    // the ones that already write them.
    adapter.onRawMessage = (raw, offset) => {
      onEntryRead?.(offset);
      // The adapter would decode it, then drop it as its own.
      if (raw.uid === adapter.uid) return;
      if (raw.type !== String(BATCH_TYPE)) return receive(raw, offset);
      let messages: RawMessage[];
      try {
        messages = JSON.parse(raw.data ?? '[]') as RawMessage[];
      } catch {
        return;
      }
      for (const message of messages) receive(message, offset);
    };

    if (!batchWrites) return adapter;

    const publish = adapter.doPublish.bind(adapter);
    // At the next tick rather than at the end of the turn: local delivery waits for the write
    // (ClusterAdapter.broadcast), so the entry leaves as soon as the code running now is done.
    const writes = new TurnCollector<Pending>(
      (batch) => {
        const written =
          batch.length === 1
            ? publish(batch[0].message)
            : publish({
                uid: adapter.uid,
                nsp: nsp.name,
                type: BATCH_TYPE as MessageType,
                data: batch.map(({ message }) => adapter.encode(message)),
              } as ClusterMessage);
        written.then(
          (offset) => {
            for (const { resolve } of batch) resolve(offset);
          },
          (error: unknown) => {
            for (const { reject } of batch) reject(error);
          },
        );
      },
      { maxBatch: MAX_BATCH, flushAt: 'next-tick' },
    );

    adapter.doPublish = (message) => {
      if (connectionStateRecovery || isEphemeral(message))
        return publish(message);
      return new Promise<string>((resolve, reject) =>
        writes.add({ message, resolve, reject }),
      );
    };

    return adapter;
  };
}
