import { Redis } from 'ioredis';
import { useRedis } from '../../testing/store-backends';
import { RedisConnection } from './redis-connection';

/**
 * An SSUBSCRIBE sent while a subscriber connects (the adapter subscribes as soon as a room is
 * created). A plain ioredis client writes it at once, before its ready check's INFO, which is then
 * refused in subscriber mode and the connection dropped (ioredis #2037). The app's subscriber
 * auto-pipelines its SSUBSCRIBEs, which ioredis queues until the connection is ready.
 */
describe('a subscriber connection that subscribes while it connects (real Redis)', () => {
  const redis = useRedis();

  /**
   * Subscribes in the 'connect' event (before the client is ready), then publishes once it is
   * ready: whether the message arrived, the connection's errors, and whether it reconnected.
   */
  async function subscribeWhileConnecting(client: Redis) {
    const channel = `${redis.keys().prefix}connecting`;
    const errors: string[] = [];
    client.on('error', (error: Error) => errors.push(error.message));
    let socketsUsed = 0;
    client.on('connect', () => {
      socketsUsed++;
      if (socketsUsed === 1)
        void client.ssubscribe(channel).catch(() => undefined);
    });
    await new Promise((resolve) => client.once('ready', resolve));
    const publisher = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    try {
      const heard = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 2000);
        client.once('smessage', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      await publisher.spublish(channel, 'hello');
      return { heard: await heard, errors, socketsUsed };
    } finally {
      publisher.disconnect();
    }
  }

  it("the app's subscriber keeps its connection and its subscription", async () => {
    const connection = await RedisConnection.connect({
      redisUrl: redis.url,
      redisPrefix: redis.keys().prefix,
    });
    try {
      const result = await subscribeWhileConnecting(
        connection.createSubscriber('subscriber-connect.spec'),
      );
      expect(result).toEqual({ heard: true, errors: [], socketsUsed: 1 });
    } finally {
      await connection.close();
    }
  });

  it('a plain client fails its ready check (the upstream behaviour the specs work around with enableReadyCheck: false)', async () => {
    const client = new Redis(redis.url, { retryStrategy: () => 50 });
    try {
      const result = await subscribeWhileConnecting(client);
      // Refused by Redis, or by ioredis itself once the SSUBSCRIBE's answer came first.
      expect(result.errors.join('\n')).toMatch(
        /Can't execute 'info'|Connection in subscriber mode/,
      );
    } finally {
      client.disconnect();
    }
  });
});
