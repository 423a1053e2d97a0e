import { INVALID_USERNAME } from '@chat/contracts';
import { openTransport, type RawTransport } from '@chat/test-support';
import {
  ClientPool,
  eventually,
  startServer,
  type TestServer,
} from '../testing/chat-test-kit';
import { CONNECT_TIMEOUT_MS } from './chat-io.adapter';
import { FORBIDDEN_ORIGIN, TOO_MANY_CONNECTIONS } from './connection-gate';

/** socket.io's CONNECT packet of the main namespace, with this handshake `auth`. */
const connect = (auth: unknown) => `0${JSON.stringify(auth)}`;
/** Whether a received socket.io packet is a CONNECT (accepted) or CONNECT_ERROR. */
const isConnectAck = (packet: string) => packet.startsWith('0{"sid"');
const isConnectError = (packet: string) => packet.startsWith('4');

// The gate before every socket: connections per address counted from the handshake, one socket
// per transport, the connect timeout and the Origin policy, against the real app.
describe('ConnectionGate', () => {
  let server: TestServer;
  const pool = new ClientPool(() => server.url);
  const transports: RawTransport[] = [];
  const open = async (...args: Parameters<typeof openTransport>) => {
    const transport = await openTransport(...args);
    transports.push(transport);
    return transport;
  };
  /** The long-polling handshake a browser would make, with these headers. */
  const pollingHandshake = (headers: Record<string, string> = {}) =>
    fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers });

  afterEach(async () => {
    for (const transport of transports.splice(0)) transport.close();
    pool.closeAll();
    await server.app.close();
  });

  describe('MAX_CONNECTIONS_PER_ADDRESS', () => {
    it('counts transports that never sent CONNECT, from their handshake', async () => {
      server = await startServer({ MAX_CONNECTIONS_PER_ADDRESS: '3' });
      const idle = [await open(server.url), await open(server.url)];
      await pool.connect({ username: 'alice' });
      // Two silent transports and alice's socket: the address is full.
      await expect(open(server.url)).rejects.toThrow();
      const refused = await pollingHandshake();
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({
        message: TOO_MANY_CONNECTIONS,
      });
      idle[0].close();
      await eventually(async () => {
        const response = await pollingHandshake();
        return response.status === 200;
      }, 'a handshake accepted once a silent transport closed');
    });

    it('makes at most one socket of a burst of CONNECTs on one websocket, and closes it', async () => {
      server = await startServer({ MAX_CONNECTIONS_PER_ADDRESS: '20' });
      const hostile = await open(server.url);
      for (let i = 0; i < 100; i++)
        hostile.send(connect({ username: `u${i}` }));
      await hostile.closed();
      expect(hostile.received.filter(isConnectAck).length).toBeLessThanOrEqual(
        1,
      );
      await eventually(
        () => server.io.of('/').sockets.size === 0,
        'no socket left',
      );
      // Nobody was stored, and the address still has its whole budget for real tabs.
      const tabs = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          pool.connect({ username: `tab${i}` }),
        ),
      );
      // The tabs connect together: each lists those before it, and no user of the burst.
      expect(
        tabs
          .flatMap((tab) => tab.users)
          .filter((user) => /^u\d+$/.test(user.username)),
      ).toEqual([]);
      expect(server.io.of('/').sockets.size).toBe(20);
      await expect(open(server.url)).rejects.toThrow();
    });

    it('lets a refused handshake be retried on the same transport', async () => {
      server = await startServer();
      const transport = await open(server.url);
      transport.send(connect({}));
      await eventually(
        () => transport.received.some(isConnectError),
        'the refusal',
      );
      expect(transport.received[0]).toContain(INVALID_USERNAME);
      transport.send(connect({ username: 'alice' }));
      await eventually(
        () => transport.received.some(isConnectAck),
        'the retry accepted',
      );
      expect(transport.isOpen).toBe(true);
    });
  });

  it(`closes a transport that sends no CONNECT within ${CONNECT_TIMEOUT_MS} ms`, async () => {
    server = await startServer();
    const started = Date.now();
    const silent = await open(server.url);
    await silent.closed(CONNECT_TIMEOUT_MS + 3000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(
      CONNECT_TIMEOUT_MS - 100,
    );
  }, 15_000);

  describe('Origin', () => {
    it('refuses another site, on the websocket upgrade and on long-polling', async () => {
      server = await startServer({ NODE_ENV: 'production' });
      const evil = { Origin: 'https://evil.example' };
      await expect(open(server.url, { headers: evil })).rejects.toThrow();
      await expect(
        open(server.url, { headers: { Origin: 'null' } }),
      ).rejects.toThrow();
      const refused = await pollingHandshake(evil);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ message: FORBIDDEN_ORIGIN });
      // Nothing was counted or created for them.
      expect(server.io.engine.clientsCount).toBe(0);
    });

    it("accepts the page's own origin, a CORS_ORIGIN, and a client that sends none", async () => {
      server = await startServer({
        NODE_ENV: 'production',
        CORS_ORIGIN: 'https://chat.example.com',
      });
      const own = new URL(server.url).origin;
      const cases: Record<string, string>[] = [
        { Origin: own },
        { Origin: 'https://chat.example.com' },
        {},
      ];
      for (const headers of cases) {
        const transport = await open(server.url, { headers });
        expect(transport.isOpen).toBe(true);
        expect((await pollingHandshake(headers)).status).toBe(200);
      }
      // The same host under another port is another origin.
      const otherPort = new URL(server.url);
      otherPort.port = String(Number(otherPort.port) + 1);
      await expect(
        open(server.url, { headers: { Origin: otherPort.origin } }),
      ).rejects.toThrow();
    });
  });
});
