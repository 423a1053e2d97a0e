import type { Namespace } from 'socket.io';
import { MessageType, type ClusterMessage } from 'socket.io-adapter';

/*
 * The one use of @socket.io/redis-adapter beyond its public API. Written against
 * @socket.io/redis-adapter 8.3.0 (pinned exactly in package.json): it replaces the `doPublish` of
 * the sharded adapter's instances (unexported class), relying on how that adapter picks a channel
 * (one per room for a broadcast to one public room, the namespace's channel otherwise).
 * socket.io-redis-adapter.spec.ts fails if that shape changes; check this file on every upgrade.
 */

/** The version this file was written against (the spec checks package.json pins it). */
export const REDIS_ADAPTER_VERSION = '8.3.0';

/** What this file uses of the sharded adapter's (unexported) class, and of socket.io-adapter's. */
interface ShardedAdapter {
  uid: string;
  doPublish(message: ClusterMessage): Promise<unknown>;
  onRawMessage(raw: Buffer, channel: Buffer): void;
  addAll(id: string, rooms: Set<string>): Promise<void> | void;
  on(event: 'create-room', listener: (room: string) => void): unknown;
}

type AdapterFactory = (nsp: Namespace) => unknown;

interface BroadcastData {
  packet: unknown;
  requestId?: string;
  opts: { rooms: string[]; except: string[]; flags?: unknown };
}

/** A broadcast to several rooms without an acknowledgement: what the sharded adapter sends to every node. */
const toSeveralRooms = (message: ClusterMessage): boolean =>
  message.type === MessageType.BROADCAST &&
  (message.data as BroadcastData).requestId === undefined &&
  (message.data as BroadcastData).opts.rooms.length > 1;

export interface ShardedOptions {
  /**
   * Resolves once every subscription this node asked for so far is active in Redis (a PING on the
   * subscriber connection, answered after the SSUBSCRIBEs before it), or after a bounded wait.
   */
  subscribed(): Promise<void>;
}

/**
 * Wraps the sharded adapter's factory so that a broadcast to several rooms (a private message goes
 * to `[to, from]`) is published once per room, on that room's channel, instead of once on the
 * namespace's channel, which every node reads. The copy for the i-th room excepts the rooms before
 * it, so a socket in several of them still gets the broadcast once. A node then reads only the
 * broadcasts for rooms it has sockets in.
 *
 * A node subscribed to a room hears its own publications to it too (the sender's own room always
 * has the sending socket): the adapter decodes each, then drops it as its own. Published here with
 * `uid` first, they are recognised by their first bytes and dropped undecoded.
 *
 * And so that `socket.join` resolves once the node's subscription to each room it creates is
 * active: the adapter subscribes when a room is created here (its 'create-room' listener, added
 * before ours) without waiting. The connection sequence reads history after joining, and a message
 * stored after that read must arrive live.
 */
export function shardedPerRoom(
  factory: AdapterFactory,
  { subscribed }: ShardedOptions,
): AdapterFactory {
  // socket.io calls it with `new`: a function, not an arrow, returning the adapter made.
  return function (nsp: Namespace) {
    const adapter = factory(nsp) as ShardedAdapter;
    let pending: Promise<void> | undefined;
    adapter.on('create-room', () => {
      const settled: Promise<void> = subscribed()
        .catch(() => undefined)
        .finally(() => {
          if (pending === settled) pending = undefined;
        });
      pending = settled;
    });
    const addAll = adapter.addAll.bind(adapter);
    adapter.addAll = (id, rooms) => {
      void addAll(id, rooms);
      return pending;
    };

    const own = Buffer.from(`{"uid":${JSON.stringify(adapter.uid)},`);
    const receive = adapter.onRawMessage.bind(adapter);
    adapter.onRawMessage = (raw, channel) => {
      if (raw.length > own.length && own.equals(raw.subarray(0, own.length)))
        return;
      receive(raw, channel);
    };

    const send = adapter.doPublish.bind(adapter);
    // `uid` first in the JSON (ClusterAdapter sets it after `type` and `data`).
    const publish = ({ uid, nsp, ...rest }: ClusterMessage) =>
      send({ uid, nsp, ...rest } as ClusterMessage);
    adapter.doPublish = (message) => {
      if (!toSeveralRooms(message)) return publish(message);
      const data = (message as { data: BroadcastData }).data;
      const { rooms, except } = data.opts;
      return Promise.all(
        rooms.map((room, i) =>
          publish({
            ...message,
            data: {
              ...data,
              opts: {
                ...data.opts,
                rooms: [room],
                except: i === 0 ? except : [...except, ...rooms.slice(0, i)],
              },
            },
          } as ClusterMessage),
        ),
      ).then(() => '');
    };
    return adapter;
  };
}
