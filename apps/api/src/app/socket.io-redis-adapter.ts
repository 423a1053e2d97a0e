import type { Namespace } from 'socket.io';
import { MessageType, type ClusterMessage } from 'socket.io-adapter';
import { TurnCollector } from '../shared/batching';
import {
  ACK,
  HELLO,
  RoomAnnouncements,
  type AnnounceOptions,
} from './room-announcements';

/*
 * The one use of @socket.io/redis-adapter beyond its public API. Written against
 * @socket.io/redis-adapter 8.3.0 (pinned exactly in package.json): it replaces `doPublish`,
 * `onRawMessage` and `addAll` of the sharded adapter's instances (unexported class), and uses its
 * `uid`, `pubClient`, `computeChannel`, `encode` and socket.io-adapter's `onMessage`, relying on how
 * that adapter picks a channel (one per room for a broadcast to one public room, the namespace's
 * channel otherwise).
 * socket.io-redis-adapter.spec.ts fails if that shape changes; check this file on every upgrade.
 */

/** The version this file was written against (the spec checks package.json pins it). */
export const REDIS_ADAPTER_VERSION = '8.3.0';

/** What this file uses of the sharded adapter's (unexported) class, and of socket.io-adapter's. */
interface ShardedAdapter {
  uid: string;
  /** SPUBLISH answers how many subscribers (of the channel's shard) the message reached. */
  pubClient: { spublish(channel: string, payload: string): Promise<unknown> };
  doPublish(message: ClusterMessage): Promise<unknown>;
  computeChannel(message: ClusterMessage): string;
  encode(message: ClusterMessage): string | Buffer;
  onRawMessage(raw: Buffer, channel: Buffer): void;
  onMessage(message: ClusterMessage): void;
  addAll(id: string, rooms: Set<string>): Promise<void> | void;
  on(
    event: 'create-room' | 'delete-room',
    listener: (room: string) => void,
  ): unknown;
}

type AdapterFactory = (nsp: Namespace) => unknown;

interface BroadcastData {
  packet: unknown;
  requestId?: string;
  opts: { rooms: string[]; except: string[]; flags?: unknown };
}

/** A broadcast without an acknowledgement: what may share a publication with others. */
const batchable = (message: ClusterMessage): boolean =>
  message.type === MessageType.BROADCAST &&
  (message.data as BroadcastData).requestId === undefined;

/**
 * How a frame of several broadcasts begins: `{"batch":"<uid>","messages":[...]}`, each message as
 * the adapter encodes it. A reader of an earlier version takes it for a message of no namespace
 * and ignores it.
 */
const BATCH = Buffer.from('{"batch":');

/** At most this many broadcasts are collected before they are published. */
const MAX_BATCH = 500;

/** A broadcast's copies still to be published, and its caller. */
interface Broadcast {
  left: number;
  resolve: (value: string) => void;
  reject: (error: unknown) => void;
}

interface Copy {
  channel: string;
  /** As the adapter encodes it: JSON, `uid` first; MessagePack (a Buffer) if it holds binary. */
  encoded: string | Buffer;
  of: Broadcast;
}

export interface ShardedOptions {
  /**
   * Resolves once every subscription this node asked for so far is active in Redis (a PING on the
   * subscriber connection, answered after the SSUBSCRIBEs before it), or after a bounded wait.
   */
  subscribed(): Promise<void>;
  /** The rooms' announcements (room-announcements.ts): waits, and late acks. */
  announce?: AnnounceOptions;
}

/** The wrapped factory, and what the node tells it of its subscriber connection. */
export interface ShardedPerRoom {
  (nsp: Namespace): unknown;
  /** The subscriber connection was lost: hellos may have been missed; no room is "only this node". */
  linkLost(): void;
  /**
   * It is back and has subscribed again (`subscribed` resolved): announces every room again, as if
   * created now. Resolves once acknowledged (or after the bounded wait); never rejects.
   */
  linkBack(): Promise<void>;
}

/**
 * Wraps the sharded adapter's factory so that a broadcast to several rooms (a private message goes
 * to `[to, from]`) is published once per room, on that room's channel, instead of once on the
 * namespace's channel, which every node reads. The copy for the i-th room excepts the rooms before
 * it, so a socket in several of them still gets the broadcast once. A node then reads only the
 * broadcasts for rooms it has sockets in.
 *
 * Broadcasts are collected until the code running now is done (under load, one turn delivers a
 * whole batch of stored messages), then published with one SPUBLISH per channel: a frame of
 * several when several went to one channel, in the order they were sent. Per broadcast, an ioredis
 * command and a publication read back by every subscribed node cost more than the broadcast itself
 * (measured). Each caller resolves once its copies are published, as before. Order holds per
 * channel; across channels it is not promised (nor is it by a Redis Cluster, whose shards differ).
 *
 * A node subscribed to a room hears its own publications to it too (the sender's own room always
 * has the sending socket). Published with `uid` first, they are recognised by their first bytes and
 * dropped undecoded.
 *
 * And so that `socket.join` resolves once the node's subscription to each room it creates is
 * active: the adapter subscribes when a room is created here (its 'create-room' listener, added
 * before ours) without waiting. The connection sequence reads history after joining, and a message
 * stored after that read must arrive live.
 */
export function shardedPerRoom(
  factory: AdapterFactory,
  { subscribed, announce = {} }: ShardedOptions,
): ShardedPerRoom {
  const links = new Set<RoomAnnouncements>();
  // socket.io calls it with `new`: a function, not an arrow, returning the adapter made.
  const wrapped = function (nsp: Namespace) {
    const adapter = factory(nsp) as ShardedAdapter;
    const link = new RoomAnnouncements(
      {
        uid: adapter.uid,
        channelOf: (room) =>
          adapter.computeChannel({
            type: MessageType.BROADCAST,
            data: { opts: { rooms: room === undefined ? [] : [room] } },
          } as ClusterMessage),
        spublish: (channel, payload) =>
          adapter.pubClient.spublish(channel, payload),
      },
      announce,
    );
    links.add(link);
    adapter.on('create-room', (room) => {
      if (!link.created(room)) return;
      link.announced(
        room,
        subscribed()
          .catch(() => undefined)
          .then(() => link.announce([room])),
      );
    });
    adapter.on('delete-room', (room) => link.deleted(room));
    // A join waits for its rooms' announcements (a room created now, or still being announced for
    // an earlier socket): the socket reads its history after.
    const addAll = adapter.addAll.bind(adapter);
    adapter.addAll = (id, rooms) => {
      void addAll(id, rooms);
      return link.settled(rooms);
    };
    receiveFrames(adapter, link);
    publishPerRoom(adapter, link);
    return adapter;
  } as ShardedPerRoom;
  wrapped.linkLost = () => {
    for (const link of links) link.lost();
  };
  wrapped.linkBack = async () => {
    await Promise.all([...links].map((link) => link.back()));
  };
  return wrapped;
}

// Compared byte by byte: every message read goes through several checks, most of them decided at
// the third byte, and `Buffer#compare` with offsets validates them and calls into C++ each time.
const startsWith = (raw: Buffer, head: Buffer): boolean => {
  if (raw.length <= head.length) return false;
  for (let i = 0; i < head.length; i++) if (raw[i] !== head[i]) return false;
  return true;
};

/** Drops this node's own publications undecoded, and takes in the messages of another's frames. */
function receiveFrames(adapter: ShardedAdapter, link: RoomAnnouncements): void {
  const own = Buffer.from(`{"uid":${JSON.stringify(adapter.uid)},`);
  const ownFrame = Buffer.from(`{"batch":${JSON.stringify(adapter.uid)},`);
  const receive = adapter.onRawMessage.bind(adapter);
  adapter.onRawMessage = (raw, channel) => {
    if (startsWith(raw, own) || startsWith(raw, ownFrame)) return;
    if (startsWith(raw, HELLO)) {
      if (startsWith(raw, link.ownHello)) link.heardOwnHello(raw, channel);
      else link.heardHello(raw, channel);
      return;
    }
    if (startsWith(raw, ACK)) {
      if (!startsWith(raw, link.ownAck)) link.heardAck(raw);
      return;
    }
    if (!startsWith(raw, BATCH)) return receive(raw, channel);
    let messages: unknown;
    try {
      messages = (JSON.parse(raw.toString()) as { messages?: unknown })
        .messages;
    } catch {
      return;
    }
    if (!Array.isArray(messages)) return;
    for (const message of messages as unknown[])
      if (typeof message === 'object' && message !== null)
        adapter.onMessage(message as ClusterMessage);
  };
}

/** Replaces `doPublish`: a copy per room, collected, one SPUBLISH per channel (see above). */
function publishPerRoom(
  adapter: ShardedAdapter,
  link: RoomAnnouncements,
): void {
  const send = adapter.doPublish.bind(adapter);
  // `uid` first in the JSON (ClusterAdapter sets it after `type` and `data`).
  const uidFirst = ({ uid, nsp, ...rest }: ClusterMessage) =>
    ({ uid, nsp, ...rest }) as ClusterMessage;
  const frameHead = `{"batch":${JSON.stringify(adapter.uid)},"messages":[`;

  // Only the callers are kept until Redis answers, not the encoded copies.
  const published = (of: Broadcast[], error?: unknown) => {
    for (const broadcast of of) {
      if (error !== undefined) broadcast.reject(error);
      else if (--broadcast.left === 0) broadcast.resolve('');
    }
  };
  const spublish = (
    channel: string,
    payload: string | Buffer,
    of: Broadcast[],
  ) => {
    const read = link.reading(channel);
    return adapter.pubClient.spublish(channel, payload as string).then(
      (subscribers) => {
        read(subscribers);
        published(of);
      },
      (error: unknown) => published(of, error ?? new Error('SPUBLISH failed')),
    );
  };
  const publishChannel = (channel: string, copies: Copy[]) => {
    let run: Copy[] = [];
    const flushRun = () => {
      if (run.length === 0) return;
      const payload =
        run.length === 1
          ? run[0].encoded
          : `${frameHead}${run.map(({ encoded }) => encoded as string).join(',')}]}`;
      void spublish(
        channel,
        payload,
        run.map((copy) => copy.of),
      );
      run = [];
    };
    for (const copy of copies) {
      if (typeof copy.encoded === 'string') {
        run.push(copy);
        continue;
      }
      // Binary (MessagePack): alone, after what was sent before it on this channel.
      flushRun();
      void spublish(channel, copy.encoded, [copy.of]);
    }
    flushRun();
  };
  const writes = new TurnCollector<Copy>(
    (batch) => {
      const channels = new Map<string, Copy[]>();
      for (const copy of batch) {
        const same = channels.get(copy.channel);
        if (same) same.push(copy);
        else channels.set(copy.channel, [copy]);
      }
      for (const [channel, copies] of channels) publishChannel(channel, copies);
    },
    { maxBatch: MAX_BATCH, flushAt: 'next-tick' },
  );
  const add = (
    message: ClusterMessage,
    encoded: string | Buffer,
    of: Broadcast,
  ) => writes.add({ channel: adapter.computeChannel(message), encoded, of });

  /**
   * One copy per room, each with its `opts`, encoded. The copies differ only there: as JSON
   * (`{…,"data":{"packet":…,"opts":…}}`), the others reuse the first one's encoding up to its
   * `opts` instead of encoding the packet again (the spec checks they equal the adapter's own).
   */
  const perRoom = (
    message: ClusterMessage,
    data: BroadcastData,
    kept: number[],
    of: Broadcast,
  ) => {
    const { rooms, except } = data.opts;
    // For the kept rooms only (a private message's copy for its sender is often skipped).
    const optsOf = (i: number): BroadcastData['opts'] => ({
      ...data.opts,
      rooms: [rooms[i]],
      except: i === 0 ? except : [...except, ...rooms.slice(0, i)],
    });
    const copy = (opts: BroadcastData['opts']) =>
      ({
        uid: message.uid,
        nsp: message.nsp,
        type: message.type,
        data: { packet: data.packet, opts },
      }) as ClusterMessage;
    const firstOpts = optsOf(kept[0]);
    const firstCopy = copy(firstOpts);
    const first = adapter.encode(firstCopy);
    add(firstCopy, first, of);
    // A single copy (the other rooms need none): no encoding to reuse.
    if (kept.length === 1) return;
    const tail = `,"opts":${JSON.stringify(firstOpts)}}}`;
    const reusable =
      typeof first === 'string' &&
      Object.keys(data).length === 2 &&
      first.endsWith(tail);
    const head = reusable ? first.slice(0, -tail.length) : '';
    for (let k = 1; k < kept.length; k++) {
      const opts = optsOf(kept[k]);
      const next = copy(opts);
      add(
        next,
        reusable
          ? `${head},"opts":${JSON.stringify(opts)}}}`
          : adapter.encode(next),
        of,
      );
    }
  };

  adapter.doPublish = (message) => {
    if (!batchable(message)) {
      // Behind the broadcasts collected so far, as it was sent after them.
      writes.flush();
      return send(uidFirst(message));
    }
    const data = (message as { data: BroadcastData }).data;
    const { rooms } = data.opts;
    // The rooms no other node subscribes to need no copy (their sockets here get it locally).
    const kept: number[] = [];
    for (let i = 0; i < rooms.length; i++)
      if (!link.alone(rooms[i])) kept.push(i);
    if (rooms.length > 0 && kept.length === 0) return Promise.resolve('');
    const several = rooms.length > 1;
    return new Promise<string>((resolve, reject) => {
      const of: Broadcast = {
        left: several ? kept.length : 1,
        resolve,
        reject,
      };
      if (several) return perRoom(message, data, kept, of);
      const ordered = uidFirst(message);
      add(ordered, adapter.encode(ordered), of);
    });
  };
}
