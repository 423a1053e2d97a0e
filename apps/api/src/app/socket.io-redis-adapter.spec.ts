import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { MessageType } from 'socket.io-adapter';
import { eventually } from '../testing/chat-test-kit';
import { useRedis } from '../testing/store-backends';
import { upstream } from '../testing/upstream';
import type { AnnounceOptions } from './room-announcements';
import {
  REDIS_ADAPTER_VERSION,
  shardedPerRoom,
} from './socket.io-redis-adapter';

const redis = useRedis();

interface Published {
  channel: string;
  type?: number;
  rooms?: string[];
  except?: string[];
  /** A frame of several broadcasts: what each carried (`emit('e', n)`: n). */
  batch?: unknown[];
}

// What shardedPerRoom relies on in the sharded adapter's unexported class: if one of these fails
// after an upgrade, check socket.io-redis-adapter.ts against the new adapter.
describe('@socket.io/redis-adapter, as shardedPerRoom uses it', () => {
  let pub: Redis;
  let sub: Redis;
  let listener: Redis;
  let servers: Server[] = [];
  let subscribers: Redis[] = [];
  let prefix: string;
  let n = 0;
  const published: Published[] = [];
  const raws: string[] = [];
  const restores: (() => void)[] = [];

  beforeAll(async () => {
    pub = new Redis(redis.url);
    sub = new Redis(redis.url);
    listener = new Redis(redis.url);
    listener.on('smessage', (channel: string, raw: string) => {
      // A node's announcement of a room, and the answers to it: not broadcasts.
      if (raw.startsWith('{"hello":') || raw.startsWith('{"ack":')) return;
      raws.push(raw);
      const message = JSON.parse(raw) as {
        type: number;
        data?: { opts?: { rooms: string[]; except: string[] } };
        messages?: { data: { packet: { data: unknown[] } } }[];
      };
      if (message.messages) {
        published.push({
          channel,
          batch: message.messages.map((one) => one.data.packet.data[1]),
        });
        return;
      }
      published.push({
        channel,
        type: message.type,
        rooms: message.data?.opts?.rooms,
        except: message.data?.opts?.except,
      });
    });
  });

  beforeEach(() => {
    prefix = `${redis.keys().prefix}${++n}:socket.io`;
    published.length = 0;
    raws.length = 0;
  });

  afterEach(async () => {
    for (const server of servers) await server.of('/').adapter.close();
    servers = [];
    // Answered after the (un)subscriptions the adapters sent without waiting.
    await Promise.all(subscribers.map((subscriber) => subscriber.ping()));
    await Promise.all(subscribers.map((subscriber) => subscriber.quit()));
    subscribers = [];
    await listener.sunsubscribe();
  });

  afterAll(async () => {
    await Promise.all([pub.quit(), sub.quit(), listener.quit()]);
  });

  const channel = (room?: string) =>
    room === undefined ? `${prefix}#/#` : `${prefix}#/#${room}#`;

  // Long enough for a loaded machine: a join goes on once every other subscriber acked.
  const JOIN_WAIT_MS = 5000;
  // Where a subscriber never acks a hello (`listener`, a node of an earlier version), a join goes
  // on after this wait.
  const SHORT_WAIT: AnnounceOptions = { waitMs: 200 };

  // No ready check: its INFO after an SSUBSCRIBE sent while connecting is refused (ioredis #2037,
  // subscriber-connect.spec); the app's subscriber queues that SSUBSCRIBE instead.
  const newSubscriber = () => sub.duplicate({ enableReadyCheck: false });

  /**
   * A socket.io server (never listening) on the sharded adapter, wrapped or not, with a subscriber
   * connection of its own (as a node has: the adapter keeps one handler per channel and client).
   */
  function server(wrapped: boolean, announce: AnnounceOptions = {}): Server {
    const subscriber = newSubscriber();
    subscribers.push(subscriber);
    const factory = createShardedAdapter(pub, subscriber, {
      channelPrefix: prefix,
      subscriptionMode: 'dynamic',
    });
    const io = new Server({
      adapter: (wrapped
        ? shardedPerRoom(factory, {
            subscribed: () => subscriber.ping().then(() => undefined),
            announce: { waitMs: JOIN_WAIT_MS, ...announce },
          })
        : factory) as never,
    });
    servers.push(io);
    return io;
  }

  async function listen(...channels: string[]): Promise<void> {
    await listener.ssubscribe(...channels);
  }

  it('is pinned to the version the wrapper was written against', () => {
    expect(upstream('@socket.io/redis-adapter')).toEqual({
      pinned: REDIS_ADAPTER_VERSION,
      installed: REDIS_ADAPTER_VERSION,
    });
  });

  it('has a uid, doPublish(message) and onRawMessage(raw, channel)', () => {
    const adapter = server(false).of('/').adapter as unknown as Record<
      string,
      unknown
    >;
    expect(adapter['uid']).toEqual(expect.any(String));
    expect(adapter['doPublish']).toEqual(expect.any(Function));
    expect(adapter['doPublish']).toHaveLength(1);
    expect(adapter['onRawMessage']).toEqual(expect.any(Function));
    expect(adapter['onRawMessage']).toHaveLength(2);
  });

  it('has computeChannel(message), encode(message) (JSON unless binary), onMessage(message) and its publishing client', () => {
    const adapter = server(false).of('/').adapter as unknown as {
      computeChannel(message: unknown): string;
      encode(message: unknown): string | Buffer;
      onMessage: unknown;
      pubClient: unknown;
    };
    const broadcast = (room: string, packet: unknown) => ({
      type: MessageType.BROADCAST,
      data: { packet, opts: { rooms: [room], except: [] } },
    });
    expect(adapter.computeChannel(broadcast('a', 1))).toBe(channel('a'));
    expect(adapter.encode(broadcast('a', { data: ['e', 1] }))).toBe(
      JSON.stringify(broadcast('a', { data: ['e', 1] })),
    );
    expect(
      adapter.encode(broadcast('a', { data: ['e', Buffer.from('x')] })),
    ).toBeInstanceOf(Buffer);
    expect(adapter.onMessage).toEqual(expect.any(Function));
    expect(adapter.pubClient).toBe(pub);
  });

  it('unwrapped: ignores a frame of several broadcasts (a node of an earlier version during an upgrade)', async () => {
    const sender = server(true);
    const old = server(false);
    const latest = server(true, SHORT_WAIT);
    const applied = new Map<Server, number>();
    for (const io of [old, latest]) {
      const adapter = io.of('/').adapter as unknown as {
        apply(opts: unknown, callback: unknown): void;
      };
      const apply = adapter.apply.bind(adapter);
      adapter.apply = (opts, callback) => {
        applied.set(io, (applied.get(io) ?? 0) + 1);
        apply(opts, callback);
      };
      await io.of('/').adapter.addAll(`socket-${applied.size}`, new Set(['a']));
    }
    // Every subscription active (the unwrapped adapter does not wait for its own).
    await Promise.all(subscribers.map((subscriber) => subscriber.ping()));
    sender.to('a').emit('e', 1);
    sender.to('a').emit('e', 2);
    await eventually(() => applied.get(latest) === 2, 'the latest took both');
    // A single publication after the frame, on the same channel: the old node applies it.
    sender
      .of('/')
      .adapter.broadcast(
        { type: 2, nsp: '/', data: ['e', 3] },
        { rooms: new Set(['a']), except: new Set() },
      );
    await eventually(() => applied.get(old) === 1, 'the old took the third');
    expect(applied.get(old)).toBe(1);
  });

  it('wrapped: drops its own publications undecoded, and still takes in those of another node', async () => {
    const one = server(true);
    const two = server(true);
    const decoded = new Map<Server, number>([
      [one, 0],
      [two, 0],
    ]);
    for (const io of [one, two]) {
      const adapter = io.of('/').adapter as unknown as {
        onMessage(message: unknown): void;
      };
      const onMessage = adapter.onMessage.bind(adapter);
      adapter.onMessage = (message) => {
        decoded.set(io, (decoded.get(io) ?? 0) + 1);
        onMessage(message);
      };
      await io
        .of('/')
        .adapter.addAll(`socket-of-${decoded.size}`, new Set(['r']));
    }
    one.to('r').emit('e', 1);
    await eventually(() => decoded.get(two) === 1, 'the other node took it in');
    two.to('r').emit('e', 2);
    await eventually(() => decoded.get(one) === 1, 'and the other way');
    // A third, behind each node's own on its subscriber connection (one channel: in order).
    one.to('r').emit('e', 3);
    await eventually(() => decoded.get(two) === 2, 'the third');
    expect([...decoded.values()]).toEqual([1, 2]);
  });

  it('publishes a broadcast to one room on its channel, and to several rooms on the namespace channel (what the wrapper changes)', async () => {
    await listen(channel(), channel('a'), channel('b'));
    const io = server(false);
    io.to('a').emit('one', 1);
    io.to(['a', 'b']).emit('two', 2);
    await eventually(() => published.length === 2, 'two publications');
    expect(published).toEqual([
      {
        channel: channel('a'),
        type: MessageType.BROADCAST,
        rooms: ['a'],
        except: [],
      },
      {
        channel: channel(),
        type: MessageType.BROADCAST,
        rooms: ['a', 'b'],
        except: [],
      },
    ]);
  });

  it('subscribes to the channel of each room created on this node', async () => {
    const io = server(true);
    const adapter = io.of('/').adapter;
    await adapter.addAll('socket-1', new Set(['room-x']));
    expect(await pub.call('PUBSUB', 'SHARDNUMSUB', channel('room-x'))).toEqual([
      channel('room-x'),
      1,
    ]);
    await adapter.delAll('socket-1');
    await eventually(
      async () =>
        (
          (await pub.call(
            'PUBSUB',
            'SHARDNUMSUB',
            channel('room-x'),
          )) as unknown[]
        )[1] === 0,
      'unsubscribed once the room is gone',
    );
  });

  it('wrapped: publishes a broadcast to several rooms once per room, excepting the rooms before it', async () => {
    await listen(channel(), channel('a'), channel('b'), channel('c'));
    const io = server(true);
    io.to(['a', 'b', 'c']).except('s').emit('three', 3);
    await eventually(() => published.length === 3, 'three publications');
    expect(published).toEqual([
      {
        channel: channel('a'),
        type: MessageType.BROADCAST,
        rooms: ['a'],
        except: ['s'],
      },
      {
        channel: channel('b'),
        type: MessageType.BROADCAST,
        rooms: ['b'],
        except: ['s', 'a'],
      },
      {
        channel: channel('c'),
        type: MessageType.BROADCAST,
        rooms: ['c'],
        except: ['s', 'a', 'b'],
      },
    ]);
  });

  it('wrapped: delivers such a broadcast once to each socket of another node, whatever rooms it is in', async () => {
    const sender = server(true);
    const receiver = server(true);
    const delivered: string[] = [];
    type Apply = (
      opts: { rooms: Set<string> },
      callback: (socket: { id: string }) => void,
    ) => void;
    const adapter = receiver.of('/').adapter as unknown as {
      apply: Apply;
      addAll(id: string, rooms: Set<string>): Promise<void> | void;
    };
    // Stand-ins for sockets (no connection): where the adapter applies a broadcast, it is recorded.
    for (const id of ['in-both', 'in-b'])
      receiver.of('/').sockets.set(id, { id } as never);
    const apply = adapter.apply.bind(adapter);
    adapter.apply = (opts, callback): void => {
      if (opts.rooms.size > 0)
        apply(opts, (socket) => delivered.push(socket.id));
      else apply(opts, callback);
    };
    await adapter.addAll('in-both', new Set(['a', 'b']));
    await adapter.addAll('in-b', new Set(['b']));
    sender.to(['a', 'b']).emit('e', 1);
    await eventually(() => delivered.length === 2, 'two deliveries');
    expect(delivered.sort()).toEqual(['in-b', 'in-both']);
  });

  it('wrapped: publishes the broadcasts of one turn to a channel as one frame, which another node takes in, in order', async () => {
    await listen(channel('a'), channel('b'));
    const sender = server(true, SHORT_WAIT);
    const receiver = server(true, SHORT_WAIT);
    const decoded = new Map<Server, unknown[]>([
      [sender, []],
      [receiver, []],
    ]);
    for (const io of [sender, receiver]) {
      const adapter = io.of('/').adapter as unknown as {
        onMessage(message: { data: { packet: { data: unknown[] } } }): void;
      };
      const onMessage = adapter.onMessage.bind(adapter);
      adapter.onMessage = (message) => {
        decoded.get(io)?.push(message.data.packet.data[1]);
        onMessage(message);
      };
      await io.of('/').adapter.addAll('socket', new Set(['a', 'b']));
    }
    sender.to('a').emit('e', 1);
    sender.to('a').emit('e', 2);
    sender.to(['b', 'a']).emit('e', 3);
    await eventually(() => published.length === 2, 'two publications');
    expect(published).toEqual([
      { channel: channel('a'), batch: [1, 2, 3] },
      {
        channel: channel('b'),
        type: MessageType.BROADCAST,
        rooms: ['b'],
        except: [],
      },
    ]);
    await eventually(
      () => decoded.get(receiver)?.length === 4,
      'the other node took in four',
    );
    expect(decoded.get(receiver)).toEqual([1, 2, 3, 3]);
    // Behind the sender's own frame on its subscriber connection: it decoded none of its own.
    receiver.to('a').emit('e', 4);
    await eventually(() => decoded.get(sender)?.length === 1, 'the fourth');
    expect(decoded.get(sender)).toEqual([4]);
  });

  it('wrapped: publishes a message that is not such a broadcast after the broadcasts before it', async () => {
    await listen(channel(), channel('a'));
    const io = server(true);
    io.to('a').emit('e', 1);
    io.to('a').emit('e', 2);
    io.disconnectSockets();
    await eventually(() => published.length === 2, 'two publications');
    expect(published).toEqual([
      { channel: channel('a'), batch: [1, 2] },
      {
        channel: channel(),
        type: MessageType.DISCONNECT_SOCKETS,
        rooms: [],
        except: [],
      },
    ]);
  });

  it('wrapped: encodes the copy for each room as the adapter itself would (the packet encoded once)', async () => {
    await listen(channel('a'), channel('b'), channel('c'));
    const io = server(true);
    const adapter = io.of('/').adapter as unknown as {
      encode(message: unknown): string | Buffer;
    };
    io.to(['a', 'b', 'c'])
      .except('s')
      .emit('e', { text: 'x"y}', n: [1, 2] });
    await eventually(() => raws.length === 3, 'three publications');
    for (const raw of raws)
      expect(raw).toBe(adapter.encode(JSON.parse(raw) as unknown));
    const packets = raws.map(
      (raw) => (JSON.parse(raw) as { data: { packet: unknown } }).data.packet,
    );
    expect(packets[1]).toEqual(packets[0]);
    expect(packets[2]).toEqual(packets[0]);
    expect(packets[0]).toMatchObject({
      data: ['e', { text: 'x"y}', n: [1, 2] }],
    });
  });
  /** The broadcasts (not hellos or acks) `pub` publishes on `room`'s channel from now on. */
  function countPublished(room: string): { count: () => number } {
    const original = pub.spublish;
    const spublish = original.bind(pub) as (
      channel: string,
      payload: string,
    ) => Promise<number>;
    let count = 0;
    pub.spublish = ((target: string, payload: string) => {
      if (
        target === channel(room) &&
        !payload.startsWith('{"hello":') &&
        !payload.startsWith('{"ack":')
      )
        count++;
      return spublish(target, payload);
    }) as never;
    restores.push(() => (pub.spublish = original));
    return { count: () => count };
  }

  /** `io.to(rooms).emit('e', n)` through the adapter, resolved once it is published (or not). */
  const emitTo = (io: Server, n: number, rooms: string[] = ['a']) =>
    io
      .of('/')
      .adapter.broadcast({ type: 2, data: ['e', n], nsp: '/' } as never, {
        rooms: new Set(rooms),
        except: new Set(),
      });

  /** What `io`'s node took in from other nodes (`emit('e', n)`: n). */
  function takenIn(io: Server): unknown[] {
    const taken: unknown[] = [];
    const adapter = io.of('/').adapter as unknown as {
      onMessage(message: { data?: { packet?: { data?: unknown[] } } }): void;
    };
    const onMessage = adapter.onMessage.bind(adapter);
    adapter.onMessage = (message) => {
      taken.push(message.data?.packet?.data?.[1]);
      onMessage(message);
    };
    return taken;
  }

  it('wrapped: stops publishing to a room once SPUBLISH says this node alone subscribes to it', async () => {
    const io = server(true);
    const published = countPublished('a');
    await io.of('/').adapter.addAll('s1', new Set(['a']));
    try {
      // The first is published; Redis answers 1 (this node): the next are not.
      await emitTo(io, 1);
      for (let n = 2; n <= 5; n++) await emitTo(io, n);
      expect(published.count()).toBe(1);
      // A room it is not in is published to every time.
      const other = countPublished('b');
      for (let n = 0; n < 3; n++) await emitTo(io, n, ['b', 'a']);
      expect(other.count()).toBe(3);
    } finally {
      while (restores.length > 0) restores.pop()?.();
    }
  });

  it('wrapped: a node joining such a room mid-stream gets every broadcast sent after its join resolved', async () => {
    const one = server(true);
    const two = server(true);
    const taken = takenIn(two);
    const published = countPublished('a');
    await one.of('/').adapter.addAll('s1', new Set(['a']));
    const send = (n: number) => emitTo(one, n);
    try {
      await send(0);
      await send(1);
      expect(published.count()).toBe(1);
      // One broadcasts without pause while two joins; two's join resolves once one has acked.
      let n = 2;
      let streaming = true;
      const stream = (async () => {
        // A turn each (as messages arrive): not published, a broadcast settles at once.
        while (streaming) {
          await send(n++);
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      await new Promise((resolve) => setImmediate(resolve));
      await two.of('/').adapter.addAll('s2', new Set(['a']));
      const joinedAt = n;
      await eventually(() => taken.length >= 20, 'broadcasts after the join');
      streaming = false;
      await stream;
      const last = n - 1;
      await eventually(() => taken.includes(last), 'the last one');
      const expected = Array.from(
        { length: last - joinedAt + 1 },
        (_, i) => joinedAt + i,
      );
      expect(taken.filter((m) => (m as number) >= joinedAt)).toEqual(expected);
    } finally {
      while (restores.length > 0) restores.pop()?.();
    }
  });

  it('wrapped: publishes again once another node announces the room, and goes back to not publishing when it leaves', async () => {
    const one = server(true);
    const two = server(true);
    const taken = takenIn(two);
    const published = countPublished('a');
    const send = (n: number) => emitTo(one, n);
    try {
      await one.of('/').adapter.addAll('s1', new Set(['a']));
      await send(1);
      await send(2);
      expect(published.count()).toBe(1);
      await two.of('/').adapter.addAll('s2', new Set(['a']));
      await send(3);
      await eventually(() => taken.includes(3), 'two takes in the next one');
      await two.of('/').adapter.delAll('s2');
      // Once two has unsubscribed (answered after its SUNSUBSCRIBE), one reads 1 again.
      await subscribers[1].ping();
      await send(4);
      const before = published.count();
      await send(5);
      await send(6);
      expect(published.count()).toBe(before);
      expect(taken).toEqual([3]);
    } finally {
      while (restores.length > 0) restores.pop()?.();
    }
  });

  it('wrapped: takes a room for its own again only after its subscriber connection is back and it announced the room', async () => {
    const subscriber = newSubscriber();
    subscribers.push(subscriber);
    const factory = shardedPerRoom(
      createShardedAdapter(pub, subscriber, {
        channelPrefix: prefix,
        subscriptionMode: 'dynamic',
      }),
      { subscribed: () => subscriber.ping().then(() => undefined) },
    );
    const one = new Server({ adapter: factory as never });
    servers.push(one);
    const two = server(true);
    const taken = takenIn(two);
    const published = countPublished('a');
    const send = (n: number) => emitTo(one, n);
    try {
      await one.of('/').adapter.addAll('s1', new Set(['a']));
      await send(1);
      await send(2);
      expect(published.count()).toBe(1);
      // Its connection lost: it publishes every broadcast until it has announced the room again.
      factory.linkLost();
      await send(3);
      await send(4);
      expect(published.count()).toBe(3);
      await factory.linkBack();
      await send(5);
      await send(6);
      expect(published.count()).toBe(4);
      // Meanwhile another node joined and announced itself: published to again, and taken in.
      await two.of('/').adapter.addAll('s2', new Set(['a']));
      await send(7);
      await eventually(() => taken.includes(7), 'two takes in the next one');
      expect(taken).toEqual([7]);
    } finally {
      while (restores.length > 0) restores.pop()?.();
    }
  });

  it('wrapped: tells of a join that went on before every other subscriber acked, once they have (or after lateAckMs)', async () => {
    const late: string[] = [];
    const options = {
      lateAckMs: 1000,
      acknowledgedLate: (room: string) => late.push(room),
    };
    const io = server(true, { ...options, ...SHORT_WAIT });
    // `listener` is counted by SPUBLISH and acks nothing by itself.
    await listen(channel('a'), channel('b'));
    const hellos: { hello: string; n: number }[] = [];
    const onHello = (_channel: string, raw: string) => {
      if (raw.startsWith('{"hello":')) hellos.push(JSON.parse(raw));
    };
    listener.on('smessage', onHello);
    try {
      const started = Date.now();
      await io.of('/').adapter.addAll('s1', new Set(['a']));
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      expect(late).toEqual([]);
      await eventually(() => hellos.length === 1, 'the hello');
      const [{ hello: uid, n }] = hellos;
      await pub.spublish(
        channel('a'),
        JSON.stringify({ ack: 'listener', to: uid, n }),
      );
      await eventually(() => late.length === 1, 'the late ack told');
      expect(late).toEqual(['a']);

      // Never acked at all: told once lateAckMs is over.
      await io.of('/').adapter.addAll('s2', new Set(['b']));
      await eventually(() => late.length === 2, 'the wait over', 3000);
      expect(late).toEqual(['a', 'b']);

      // Acked in time by the other node: nothing to tell.
      const twoLate: string[] = [];
      const one = server(true, options);
      const two = server(true, {
        ...options,
        acknowledgedLate: (room) => twoLate.push(room),
      });
      await one.of('/').adapter.addAll('s3', new Set(['c']));
      const joining = Date.now();
      await two.of('/').adapter.addAll('s4', new Set(['c']));
      expect(Date.now() - joining).toBeLessThan(JOIN_WAIT_MS / 2);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(twoLate).toEqual([]);
    } finally {
      listener.off('smessage', onHello);
    }
  });
});
