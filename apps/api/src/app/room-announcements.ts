/*
 * Which rooms of this node no other node subscribes to (see RoomAnnouncements): the protocol of
 * hellos and acks on each room's channel, on what the sharded adapter gives it (AnnouncePort,
 * made in socket.io-redis-adapter.ts, the one file that touches the adapter's internals).
 */

/**
 * How a node announces that it subscribed to a room's channel (`{"hello":"<uid>","n":<n>}`), and
 * how another node subscribed to it answers (`{"ack":"<its uid>","to":"<uid>","n":<n>}`). A reader
 * of an earlier version takes either for a message of no namespace and ignores it.
 */
export const HELLO = Buffer.from('{"hello":');
export const ACK = Buffer.from('{"ack":');

/** How long joining a room waits for the other nodes' acks by default. */
export const ANNOUNCE_WAIT_MS = 2000;
/** How long acks are still awaited once a join went on without them. */
export const LATE_ACK_MS = 30_000;
/** A hello Redis did not take is sent again after this long. */
const HELLO_RETRY_MS = 500;

/** What the announcements need of the adapter. */
export interface AnnouncePort {
  /** This node's id on the adapter's channels. */
  readonly uid: string;
  /** The channel of a room's broadcasts; without a room, the namespace's. */
  channelOf(room?: string): string;
  /** SPUBLISH: resolves with the number of subscribers it reached. */
  spublish(channel: string, payload: string): Promise<unknown>;
}

export interface AnnounceOptions {
  /** How long a join waits for the acks of the other nodes subscribed to its room's channel. */
  waitMs?: number;
  /** How long acks are still awaited after that (LATE_ACK_MS by default). */
  lateAckMs?: number;
  /**
   * A join of `room` went on before every other node acked its announcement, and they have now
   * (or never did): its sockets may have missed a broadcast another node did not publish.
   */
  acknowledgedLate?: (room: string) => void;
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
export class RoomAnnouncements {
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
    private readonly port: AnnouncePort,
    private readonly options: AnnounceOptions,
  ) {
    this.namespaceChannel = port.channelOf();
    const uid = JSON.stringify(port.uid);
    this.helloHead = `{"hello":${uid},`;
    this.ackHead = `{"ack":${uid},`;
    this.ownHello = Buffer.from(this.helloHead);
    this.ownAck = Buffer.from(this.ackHead);
  }

  /** A room created here; false if it has no channel of its own (a socket's id). */
  created(room: string): boolean {
    const channel = this.port.channelOf(room);
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
      hellos.push(this.hello(room, state.channel, n));
    }
    return Promise.all(hellos).then(() => undefined);
  }

  /**
   * Resolves once every other subscriber SPUBLISH counted has acked, or after `waitMs`: the join
   * goes on then, but the acks still count. Once they are all in (a node that stalled, acking
   * late), or after `lateAckMs` without them, `acknowledgedLate` is told: another node may have
   * left a broadcast unpublished until it acked, after the room's new socket read its history.
   */
  private hello(room: string, channel: string, n: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let late = false;
      const finish = () => {
        clearTimeout(timer);
        this.waiting.delete(n);
        resolve();
        if (late && this.rooms.has(room)) this.options.acknowledgedLate?.(room);
      };
      let timer = setTimeout(() => {
        late = true;
        resolve();
        timer = setTimeout(finish, this.options.lateAckMs ?? LATE_ACK_MS);
        timer.unref();
      }, this.options.waitMs ?? ANNOUNCE_WAIT_MS);
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
      // Sent again until Redis takes it: until the other nodes hear it, they may go on skipping.
      const hello = `${this.helloHead}"n":${n}}`;
      const publish = (): Promise<void> =>
        this.port.spublish(channel, hello).then(
          (subscribers) => {
            wait.subscribers = Number(subscribers);
            wait.check();
          },
          () => {
            if (this.waiting.get(n) === wait)
              setTimeout(publish, HELLO_RETRY_MS).unref();
          },
        );
      void publish();
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
    void this.port
      .spublish(
        name,
        `${this.ackHead}"to":${JSON.stringify(hello.hello)},"n":${hello.n}}`,
      )
      .catch(() => undefined);
  }

  /** Another node's ack: counted if it answers one of this node's hellos. */
  heardAck(raw: Buffer): void {
    const ack = parse(raw) as { to?: unknown; n?: unknown } | undefined;
    if (ack?.to !== this.port.uid || typeof ack.n !== 'number') return;
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
