import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { Server, type Namespace } from 'socket.io';
import { MessageType, type ClusterMessage } from 'socket.io-adapter';
import { eventually } from '../testing/chat-test-kit';
import { useRedis } from '../testing/store-backends';
import { upstream } from '../testing/upstream';
import {
  BATCH_TYPE,
  batchStreamPublishes,
  REDIS_STREAMS_ADAPTER_VERSION,
} from './socket.io-redis-streams-adapter';

const redis = useRedis();

// What batchStreamPublishes relies on in the adapter's unexported class: if one of these fails
// after an upgrade, check socket.io-redis-streams-adapter.ts against the new adapter.
describe('@socket.io/redis-streams-adapter, as batchStreamPublishes uses it', () => {
  let client: Redis;
  let io: Server;

  beforeAll(async () => {
    client = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    // The adapter's own clients (a stream reader, a subscriber): closed only once connected.
    const duplicates: Redis[] = [];
    const duplicate = client.duplicate.bind(client);
    client.duplicate = (...args) => {
      const copy = duplicate(...args);
      duplicates.push(copy);
      return copy;
    };
    io = new Server({
      adapter: createAdapter(client, {
        streamName: `${redis.keys().prefix}socket.io`,
        blockTimeInMs: 100,
      }),
    });
    await eventually(
      () =>
        duplicates.length === 2 &&
        duplicates.every((copy) => copy.status === 'ready') &&
        duplicates.some((copy) => copy.mode === 'subscriber'),
      "the adapter's clients connected",
    );
  });

  afterAll(async () => {
    // Never attached to an HTTP server: only its adapter to close (it stops reading the stream).
    await io.of('/').adapter.close();
    await client.quit();
  });

  it('is pinned to the version the wrapper was written against', () => {
    expect(upstream('@socket.io/redis-streams-adapter')).toEqual({
      pinned: REDIS_STREAMS_ADAPTER_VERSION,
      installed: REDIS_STREAMS_ADAPTER_VERSION,
    });
  });

  it('has a uid, doPublish(message), encode(message) and onRawMessage(raw, offset)', () => {
    const adapter = io.of('/').adapter as unknown as Record<string, unknown>;
    expect(adapter['uid']).toEqual(expect.any(String));
    for (const [method, arity] of [
      ['doPublish', 1],
      ['encode', 1],
      ['onRawMessage', 2],
    ] as const) {
      expect(adapter[method]).toEqual(expect.any(Function));
      expect(adapter[method]).toHaveLength(arity);
    }
  });

  it('encodes a message as a stream entry of strings: uid, nsp, type and JSON data', () => {
    const adapter = io.of('/').adapter as unknown as {
      uid: string;
      encode(message: ClusterMessage): Record<string, string>;
    };
    const data = {
      packet: { type: 2, data: ['e', 1] },
      opts: { rooms: ['r'] },
    };
    const message = {
      uid: adapter.uid,
      nsp: '/',
      type: MessageType.BROADCAST,
      data,
    } as ClusterMessage;
    expect(adapter.encode(message)).toEqual({
      uid: adapter.uid,
      nsp: '/',
      type: String(MessageType.BROADCAST),
      data: JSON.stringify(data),
    });
  });
});

/** An adapter with the shape above, recording what it publishes and what it reads. */
class StubAdapter {
  readonly uid = 'this-node';
  readonly published: ClusterMessage[] = [];
  readonly read: { raw: Record<string, string>; offset: string }[] = [];

  doPublish(message: ClusterMessage): Promise<string> {
    this.published.push(message);
    return Promise.resolve(`${this.published.length}-0`);
  }

  encode(message: ClusterMessage): Record<string, string> {
    return { uid: message.uid, nsp: message.nsp, type: String(message.type) };
  }

  onRawMessage(raw: Record<string, string>, offset: string): void {
    this.read.push({ raw, offset });
  }
}

// The wrapper alone, around a stand-in adapter (the real one, across nodes: scale-out.spec.ts).
describe('batchStreamPublishes', () => {
  const nsp = { name: '/' } as Namespace;
  const wrap = (batchWrites: boolean, connectionStateRecovery = false) => {
    const stub = new StubAdapter();
    const factory = batchStreamPublishes(() => stub, {
      batchWrites,
      connectionStateRecovery,
    });
    return { stub, adapter: factory(nsp) as StubAdapter };
  };
  const broadcast = (n: number) =>
    ({
      uid: 'this-node',
      nsp: '/',
      type: MessageType.BROADCAST,
      data: { packet: n, opts: {} },
    }) as unknown as ClusterMessage;

  it('writes the messages of one turn as one entry, and resolves each with its offset', async () => {
    const { stub, adapter } = wrap(true);
    const offsets = await Promise.all(
      [1, 2, 3].map((n) => adapter.doPublish(broadcast(n))),
    );
    expect(offsets).toEqual(['1-0', '1-0', '1-0']);
    expect(stub.published).toEqual([
      {
        uid: 'this-node',
        nsp: '/',
        type: BATCH_TYPE,
        data: [1, 2, 3].map((n) => stub.encode(broadcast(n))),
      },
    ]);
    // A turn with one message writes it as the stock adapter does.
    await adapter.doPublish(broadcast(4));
    expect(stub.published[1]).toEqual(broadcast(4));
  });

  it('writes one entry per message when batching is off, or with connection state recovery', async () => {
    for (const { adapter, stub } of [wrap(false), wrap(true, true)]) {
      await Promise.all([1, 2].map((n) => adapter.doPublish(broadcast(n))));
      expect(stub.published).toEqual([broadcast(1), broadcast(2)]);
    }
  });

  it('reads batch entries message by message, and skips its own entries unread', () => {
    const { stub, adapter } = wrap(false);
    const other = (n: number) => ({
      uid: 'other',
      nsp: '/',
      type: '3',
      data: String(n),
    });
    adapter.onRawMessage(
      {
        uid: 'other',
        nsp: '/',
        type: String(BATCH_TYPE),
        data: JSON.stringify([other(1), other(2)]),
      },
      '7-0',
    );
    adapter.onRawMessage(other(3), '8-0');
    adapter.onRawMessage({ ...other(4), uid: 'this-node' }, '9-0');
    expect(stub.read).toEqual([
      { raw: other(1), offset: '7-0' },
      { raw: other(2), offset: '7-0' },
      { raw: other(3), offset: '8-0' },
    ]);
  });
});
