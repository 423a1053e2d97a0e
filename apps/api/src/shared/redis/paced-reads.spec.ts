import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import { useRedis } from '../../testing/store-backends';
import { oneReadPerTurn, paceReads } from './paced-reads';
import { RedisConnection } from './redis-connection';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The turn of the event loop in which each of `count` chunks came out of a stream handed them all
 * in one go, as Node reads a socket until it is empty.
 */
function burst(count: number, pace: boolean): Promise<number[]> {
  // Chunks come only from the pushes below.
  const stream = new Readable({ read: () => undefined });
  if (pace) oneReadPerTurn(stream);
  const turns: number[] = [];
  let turn = 0;
  return new Promise((resolve) => {
    stream.on('data', () => {
      turns.push(turn);
      if (turns.length === count) resolve(turns);
    });
    (function tick() {
      turn++;
      if (turns.length < count) setImmediate(tick);
    })();
    for (let i = 0; i < count; i++) stream.push(Buffer.from(`chunk ${i}`));
  });
}

describe('oneReadPerTurn', () => {
  it('hands over one chunk per turn of the event loop', async () => {
    const turns = await burst(20, true);
    // A turn for each: other I/O runs between them.
    expect(new Set(turns).size).toBe(20);
  });

  it('is what spreads them: unpaced, they all come in the turn they were read', async () => {
    const turns = await burst(20, false);
    expect(new Set(turns).size).toBe(1);
  });
});

describe('paceReads on a subscriber (real Redis)', () => {
  const redis = useRedis();
  let subscriber: Redis;
  let publisher: Redis;

  beforeEach(() => {
    subscriber = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    publisher = new Redis(redis.url, { maxRetriesPerRequest: 0 });
  });

  afterEach(() => {
    subscriber.disconnect();
    publisher.disconnect();
  });

  /** Whether the subscriber's socket was paused once the read that brought a message was done. */
  const pausedAfterRead = (channel: string) =>
    new Promise<boolean>((resolve) => {
      subscriber.once('smessage', () =>
        queueMicrotask(() => resolve(subscriber.stream.isPaused())),
      );
      void publisher.spublish(channel, 'hello');
    });

  it('pauses the socket after each read until the next turn, after a reconnection too', async () => {
    const channel = `${redis.keys().prefix}paced`;
    paceReads(subscriber);
    await subscriber.ssubscribe(channel);
    expect(await pausedAfterRead(channel)).toBe(true);
    await nextTurn();
    expect(subscriber.stream.isPaused()).toBe(false);

    const first = subscriber.stream;
    const back = new Promise((resolve) => subscriber.once('ready', resolve));
    first.destroy();
    await back;
    expect(subscriber.stream).not.toBe(first);
    // ioredis subscribed again by itself; the new socket is paced too.
    await subscriber.ssubscribe(channel);
    expect(await pausedAfterRead(channel)).toBe(true);
  });

  it("is how the app's subscriber reads", async () => {
    const channel = `${redis.keys().prefix}app`;
    const connection = await RedisConnection.connect({
      redisUrl: redis.url,
      redisPrefix: redis.keys().prefix,
    });
    try {
      subscriber.disconnect();
      subscriber = connection.createSubscriber('paced-reads.spec');
      await subscriber.ssubscribe(channel);
      expect(await pausedAfterRead(channel)).toBe(true);
    } finally {
      await connection.close();
    }
  });

  it('leaves an unpaced subscriber flowing (the control)', async () => {
    const channel = `${redis.keys().prefix}unpaced`;
    await subscriber.ssubscribe(channel);
    expect(await pausedAfterRead(channel)).toBe(false);
  });

  it('loses nothing and keeps the order when much is published at once', async () => {
    const channel = `${redis.keys().prefix}burst`;
    paceReads(subscriber);
    await subscriber.ssubscribe(channel);
    const count = 3000;
    const padding = 'x'.repeat(1000);
    const received: number[] = [];
    const all = new Promise<void>((resolve) =>
      subscriber.on('smessage', (_channel: string, message: string) => {
        received.push(Number(message.slice(0, message.indexOf(' '))));
        if (received.length === count) resolve();
      }),
    );
    const pipeline = publisher.pipeline();
    for (let i = 0; i < count; i++)
      pipeline.spublish(channel, `${i} ${padding}`);
    await pipeline.exec();
    await all;
    expect(received).toEqual(Array.from({ length: count }, (_, i) => i));
  });
});
