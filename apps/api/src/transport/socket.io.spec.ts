import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChatEvent } from '@chat/contracts';
import { Server } from 'socket.io';
import {
  ClusterAdapter,
  MessageType,
  type ClusterMessage,
} from 'socket.io-adapter';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { eventually } from '../testing/chat-test-kit';
import { upstream } from '../testing/upstream';
import type { ChatServer } from './chat-socket';
import {
  broadcastWithPublication,
  EVENT_PACKET,
  SOCKET_IO_VERSION,
} from './socket.io';

// What broadcastWithPublication relies on in socket.io: if one of these fails after an upgrade,
// check transport/socket.io.ts against the new socket.io (and its socket.io-adapter).
describe('socket.io, as broadcastWithPublication uses it', () => {
  it('is pinned to the version broadcastWithPublication was written against', () => {
    expect(upstream('socket.io')).toEqual({
      pinned: SOCKET_IO_VERSION,
      installed: SOCKET_IO_VERSION,
    });
  });

  describe('with the in-memory adapter', () => {
    let http: HttpServer;
    let io: ChatServer;
    const clients: ClientSocket[] = [];

    beforeAll(async () => {
      http = createServer();
      io = new Server(http) as unknown as ChatServer;
      io.on('connection', (socket) => {
        const { rooms } = socket.handshake.auth as { rooms: string[] };
        void socket.join(rooms);
      });
      await new Promise<void>((resolve) =>
        http.listen(0, '127.0.0.1', resolve),
      );
    });

    afterAll(async () => {
      for (const client of clients) client.close();
      await io.close();
    });

    /** A client in `rooms`, once the server has put it there, and what it receives. */
    async function client(...rooms: string[]) {
      const { port } = http.address() as AddressInfo;
      const socket = connect(`http://127.0.0.1:${port}`, {
        auth: { rooms },
        transports: ['websocket'],
      });
      clients.push(socket);
      const received: unknown[] = [];
      socket.on(ChatEvent.UserDisconnected, (payload: unknown) =>
        received.push(payload),
      );
      // Joined in the connection handler, before its CONNECT packet reaches the client.
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      return received;
    }

    it('sends an event packet to the sockets of the rooms but those excepted, and returns nothing', async () => {
      const inRoom = await client('a');
      const excepted = await client('a', 'b');
      const elsewhere = await client('c');
      expect(
        broadcastWithPublication(
          io,
          ['a'],
          ['b'],
          ChatEvent.UserDisconnected,
          'one',
        ),
      ).toBeUndefined();
      // Positive control to every socket: whatever the first reached came before it.
      broadcastWithPublication(
        io,
        ['a', 'c'],
        [],
        ChatEvent.UserDisconnected,
        'two',
      );
      await eventually(
        () => [inRoom, excepted, elsewhere].every((r) => r.includes('two')),
        'the control at every client',
      );
      expect(inRoom).toEqual(['one', 'two']);
      expect(excepted).toEqual(['two']);
      expect(elsewhere).toEqual(['two']);
    });
  });

  it("with a cluster adapter, returns the promise of the adapter's publication", async () => {
    const published: ClusterMessage[] = [];
    let release: (offset: string) => void = () => undefined;
    class StubClusterAdapter extends ClusterAdapter {
      protected override doPublish(message: ClusterMessage): Promise<string> {
        published.push(message);
        return new Promise((resolve) => (release = resolve));
      }
      protected override doPublishResponse(): Promise<void> {
        return Promise.resolve();
      }
    }
    const io = new Server({
      adapter: StubClusterAdapter as never,
    }) as unknown as ChatServer;
    try {
      const sent = broadcastWithPublication(
        io,
        ['a'],
        ['b'],
        ChatEvent.UserDisconnected,
        'one',
      );
      expect(sent?.then).toEqual(expect.any(Function));
      let settled = false;
      const done = Promise.resolve(sent).then(() => (settled = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled).toBe(false);
      expect(published).toEqual([
        expect.objectContaining({
          type: MessageType.BROADCAST,
          data: {
            packet: {
              type: EVENT_PACKET,
              data: [ChatEvent.UserDisconnected, 'one'],
              nsp: '/',
            },
            opts: expect.objectContaining({ rooms: ['a'], except: ['b'] }),
          },
        }),
      ]);
      release('1-0');
      await done;
      expect(settled).toBe(true);
    } finally {
      // Never attached to an HTTP server: only its adapter to close.
      await io.of('/').adapter.close();
    }
  });
});
