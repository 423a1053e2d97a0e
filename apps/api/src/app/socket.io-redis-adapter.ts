import type { Namespace } from 'socket.io';
import { MessageType, type ClusterMessage } from 'socket.io-adapter';
import { TurnCollector } from '../shared/batching';

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

/**
 * How a node announces that it subscribed to a room's channel (`{"hello":"<uid>","n":<n>}`), and
 * how another node subscribed to it answers (`{"ack":"<its uid>","to":"<uid>","n":<n>}`). A reader
 * of an earlier version takes either for a message of no namespace and ignores it.
 */
const HELLO = Buffer.from('{"hello":');
const ACK = Buffer.from('{"ack":');

/** How long joining a room waits for the other nodes' acks by default. */
export const ANNOUNCE_WAIT_MS = 2000;

export interface ShardedOptions {
  /**
   * Resolves once every subscription this node asked for so far is active in Redis (a PING on the
   * subscriber connection, answered after the SSUBSCRIBEs before it), or after a bounded wait.
   */
  subscribed(): Promise<void>;
  /** How long a join waits for the acks of the other nodes subscribed to its room's channel. */
  announceWaitMs?: number;
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

/** A hello of this node: SPUBLISH's count, whether its own copy came back, the acks so far. */
interface Waiting {
  subscribers?: number;
  echoed: boolean;
  acked: number;
  check: () => void;
}

/** What a node knows of a room it has sockets in (and whose channel it subscribes to). */
interface RoomState {
  channel: string;
  /**
   * This node's subscription to the channel is known active on its connection of now: its own
   * latest hello came back on it.
   */
  ready: boolean;
  /** That hello, and the connection's epoch when it was sent. */
  hello?: { n: number; epoch: number };
  /** Settles once this node's latest announcement of the room is acked (or the wait is over). */
  announcing?: Promise<void>;
  /** Hellos heard from other nodes (each makes an "only this node" reading stale). */
  heard: number;
  /** No other node subscribes: broadcasts to it need not be published. */
  alone: boolean;
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
  { subscribed, announceWaitMs = ANNOUNCE_WAIT_MS }: ShardedOptions,
): ShardedPerRoom {
  const links = new Set<Link>();
  // socket.io calls it with `new`: a function, not an arrow, returning the adapter made.
  const wrapped = function (nsp: Namespace) {
    const adapter = factory(nsp) as ShardedAdapter;
    const link = new Link(adapter, announceWaitMs);
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

/**
 * Which of this node's rooms no other node subscribes to, so that their broadcasts need not be
 * published (a private message's copy for the sender's own room, published only for the sender's
 * other tabs, otherwise comes back to this node alone). Redis answers an SPUBLISH with the number
 * of subscribers it reached: 1 is this node alone, if its own subscription was active when it was
 * sent and no other node announced itself meanwhile. A node announces each room it subscribes to
 * (a hello on the room's channel, when the room is created here and again whenever its subscriber
 * connection is back), and the join waits (bounded) for an ack from every other subscriber that
 * SPUBLISH counted; a node acks after it stopped taking the room for its own. So a broadcast not
 * published was decided before the ack, its message stored before that; and the new socket reads
 * its history after the join.
 */
class Link {
  private readonly rooms = new Map<string, RoomState>();
  private readonly byChannel = new Map<string, RoomState>();
  /** Changes whenever the subscriber connection is lost or back. */
  private epoch = 0;
  private sent = 0;
  /** This node's hellos still waiting, by number. */
  private readonly waiting = new Map<number, Waiting>();
  private readonly namespaceChannel: string;
  readonly ownHello: Buffer;
  readonly ownAck: Buffer;
  private readonly helloHead: string;
  private readonly ackHead: string;

  constructor(
    private readonly adapter: ShardedAdapter,
    private readonly waitMs: number,
  ) {
    this.namespaceChannel = this.channelOf();
    const uid = JSON.stringify(adapter.uid);
    this.helloHead = `{"hello":${uid},`;
    this.ackHead = `{"ack":${uid},`;
    this.ownHello = Buffer.from(this.helloHead);
    this.ownAck = Buffer.from(this.ackHead);
  }

  private channelOf(room?: string): string {
    return this.adapter.computeChannel({
      type: MessageType.BROADCAST,
      data: { opts: { rooms: room === undefined ? [] : [room] } },
    } as ClusterMessage);
  }

  /** A room created here; false if it has no channel of its own (a socket's id). */
  created(room: string): boolean {
    const channel = this.channelOf(room);
    if (channel === this.namespaceChannel) return false;
    const state: RoomState = { channel, ready: false, heard: 0, alone: false };
    this.rooms.set(room, state);
    this.byChannel.set(channel, state);
    return true;
  }

  deleted(room: string): void {
    const state = this.rooms.get(room);
    if (!state) return;
    this.rooms.delete(room);
    this.byChannel.delete(state.channel);
  }

  announced(room: string, done: Promise<void>): void {
    const state = this.rooms.get(room);
    if (!state) return;
    const announcing: Promise<void> = done.finally(() => {
      if (state.announcing === announcing) state.announcing = undefined;
    });
    state.announcing = announcing;
  }

  /** Once the announcements still going on for `rooms` are over; undefined if none is. */
  settled(rooms: Set<string>): Promise<void> | undefined {
    let waits: Promise<void>[] | undefined;
    for (const room of rooms) {
      const announcing = this.rooms.get(room)?.announcing;
      if (announcing) (waits ??= []).push(announcing);
    }
    return waits && Promise.all(waits).then(() => undefined);
  }

  /** Whether a broadcast to `room` need not be published. */
  alone(room: string): boolean {
    return this.rooms.get(room)?.alone === true;
  }

  /** Before an SPUBLISH on `channel`: what its answer is to be read against. */
  reading(channel: string): (subscribers: unknown) => void {
    const state = this.byChannel.get(channel);
    if (!state?.ready) return () => undefined;
    const { heard } = state;
    const epoch = this.epoch;
    return (subscribers) => {
      if (
        subscribers === 1 &&
        this.byChannel.get(channel) === state &&
        state.ready &&
        state.heard === heard &&
        this.epoch === epoch
      )
        state.alone = true;
    };
  }

  lost(): void {
    this.epoch++;
    for (const state of this.rooms.values()) {
      state.ready = false;
      state.alone = false;
    }
  }

  back(): Promise<void> {
    const rooms = [...this.rooms.keys()];
    const done = this.announce(rooms);
    for (const room of rooms) this.announced(room, done);
    return done;
  }

  /**
   * Says on each room's channel that this node subscribes to it, and waits (bounded) for every
   * other subscriber's ack. Called once the subscriptions were asked for (a hello is read by the
   * subscriptions active when Redis gets it).
   */
  announce(rooms: string[]): Promise<void> {
    const hellos: Promise<void>[] = [];
    for (const room of rooms) {
      const state = this.rooms.get(room);
      if (!state) continue;
      const n = ++this.sent;
      state.hello = { n, epoch: this.epoch };
      hellos.push(this.hello(state.channel, n));
    }
    return Promise.all(hellos).then(() => undefined);
  }

  private hello(channel: string, n: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.waiting.delete(n);
        resolve();
      };
      const timer = setTimeout(finish, this.waitMs);
      const wait: Waiting = { echoed: false, acked: 0, check: () => undefined };
      // Counted by SPUBLISH only if its own copy came back: then every other subscriber is to ack.
      wait.check = () => {
        if (
          wait.subscribers !== undefined &&
          wait.echoed &&
          wait.acked >= wait.subscribers - 1
        )
          finish();
      };
      this.waiting.set(n, wait);
      this.adapter.pubClient
        .spublish(channel, `${this.helloHead}"n":${n}}`)
        .then((subscribers) => {
          wait.subscribers = Number(subscribers);
          wait.check();
        }, finish);
    });
  }

  /** This node's own hello, back: its subscription to the channel is active. */
  heardOwnHello(raw: Buffer, channel: Buffer): void {
    const state = this.byChannel.get(channel.toString());
    const n = (parse(raw) as { n?: unknown } | undefined)?.n;
    if (typeof n !== 'number') return;
    if (state?.hello?.n === n && state.hello.epoch === this.epoch)
      state.ready = true;
    const wait = this.waiting.get(n);
    if (!wait) return;
    wait.echoed = true;
    wait.check();
  }

  /** Another node's hello on `channel`: the room is no longer this node's alone; acked. */
  heardHello(raw: Buffer, channel: Buffer): void {
    const name = channel.toString();
    const state = this.byChannel.get(name);
    if (state) {
      state.heard++;
      state.alone = false;
    }
    // Acked even by a node leaving the room (still subscribed: SPUBLISH counted it).
    const hello = parse(raw) as { hello?: unknown; n?: unknown } | undefined;
    if (typeof hello?.hello !== 'string' || typeof hello.n !== 'number') return;
    void this.adapter.pubClient
      .spublish(
        name,
        `${this.ackHead}"to":${JSON.stringify(hello.hello)},"n":${hello.n}}`,
      )
      .catch(() => undefined);
  }

  /** Another node's ack: counted if it answers one of this node's hellos. */
  heardAck(raw: Buffer): void {
    const ack = parse(raw) as { to?: unknown; n?: unknown } | undefined;
    if (ack?.to !== this.adapter.uid || typeof ack.n !== 'number') return;
    const wait = this.waiting.get(ack.n);
    if (!wait) return;
    wait.acked++;
    wait.check();
  }
}

const parse = (raw: Buffer): unknown => {
  try {
    return JSON.parse(raw.toString()) as unknown;
  } catch {
    return undefined;
  }
};

// Compared in place: a `subarray` per check is an object for each prefix of each message read.
const startsWith = (raw: Buffer, head: Buffer): boolean =>
  raw.length > head.length && head.compare(raw, 0, head.length) === 0;

/** Drops this node's own publications undecoded, and takes in the messages of another's frames. */
function receiveFrames(adapter: ShardedAdapter, link: Link): void {
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
function publishPerRoom(adapter: ShardedAdapter, link: Link): void {
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
    const opts = rooms.map((room, i) => ({
      ...data.opts,
      rooms: [room],
      except: i === 0 ? except : [...except, ...rooms.slice(0, i)],
    }));
    const copy = (i: number) =>
      ({
        uid: message.uid,
        nsp: message.nsp,
        type: message.type,
        data: { packet: data.packet, opts: opts[i] },
      }) as ClusterMessage;
    const firstCopy = copy(kept[0]);
    const first = adapter.encode(firstCopy);
    const tail = `,"opts":${JSON.stringify(opts[kept[0]])}}}`;
    const reusable =
      typeof first === 'string' &&
      Object.keys(data).length === 2 &&
      first.endsWith(tail);
    const head = reusable ? first.slice(0, -tail.length) : '';
    add(firstCopy, first, of);
    for (let k = 1; k < kept.length; k++) {
      const next = copy(kept[k]);
      add(
        next,
        reusable
          ? `${head},"opts":${JSON.stringify(opts[kept[k]])}}}`
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
