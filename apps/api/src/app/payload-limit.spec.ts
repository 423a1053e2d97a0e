import { FETCH_USERS_MAX, MESSAGE_MAX_LENGTH } from '@chat/contracts';
import { openTransport, type RawTransport } from '@chat/test-support';
import {
  ClientPool,
  eventually,
  startServer,
  type TestServer,
} from '../testing/chat-test-kit';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../config/app-config';

/**
 * A CONNECT of `bytes` bytes whose `auth` holds nested arrays: cheap to send, slow to parse when
 * large, and a valid handshake packet once parsed (refused for want of a username).
 */
const nestedConnect = (bytes: number) => {
  const depth = Math.floor((bytes - '0{"pad":}'.length) / 2);
  return `0{"pad":${'['.repeat(depth)}${']'.repeat(depth)}}`;
};
const isConnectError = (packet: string) => packet.startsWith('4');

// MAX_PAYLOAD_BYTES by default: what the largest legitimate event needs, and no more.
describe('the default MAX_PAYLOAD_BYTES', () => {
  let server: TestServer;
  const pool = new ClientPool(() => server.url);
  const transports: RawTransport[] = [];

  beforeEach(async () => {
    server = await startServer();
  });

  afterEach(async () => {
    for (const transport of transports.splice(0)) transport.close();
    pool.closeAll();
    await server.app.close();
  });

  it('holds the largest legitimate events: a message of 4000 characters escaped to 6 bytes each, 100 user ids', async () => {
    const alice = await pool.connect({ username: 'alice' });
    const bob = await pool.connect({ username: 'bob' });
    // Control characters are valid content, and JSON writes each as \u00XX.
    const content = '\u0001'.repeat(MESSAGE_MAX_LENGTH);
    expect(JSON.stringify(content).length).toBeGreaterThan(24_000);
    expect(
      (await alice.client.send({ content, to: bob.session.userID })).ok,
    ).toBe(true);
    const userIDs = Array.from({ length: FETCH_USERS_MAX }, (_, i) =>
      `${i}`.padEnd(128, 'x'),
    );
    expect(await alice.client.fetchUsers({ userIDs })).toEqual({
      ok: true,
      users: [],
    });
  });

  it('closes a transport whose frame is larger, unparsed, and keeps serving the others', async () => {
    const alice = await pool.connect({ username: 'alice' });
    const bob = await pool.connect({ username: 'bob' });
    const hostile = await openTransport(server.url);
    transports.push(hostile);
    // The 2 MiB of earlier versions: about a million nested arrays, up to a second to parse.
    hostile.send(nestedConnect(2 * 1024 * 1024));
    expect(await hostile.closed()).toBeDefined();
    expect(hostile.received).toEqual([]);
    // A frame at the limit is parsed: refused as a handshake, on a transport that stays open.
    const atLimit = await openTransport(server.url);
    transports.push(atLimit);
    atLimit.send(nestedConnect(DEFAULT_MAX_PAYLOAD_BYTES));
    await eventually(
      () => atLimit.received.some(isConnectError),
      'the refusal of the handshake',
    );
    expect(atLimit.isOpen).toBe(true);
    expect(
      (await alice.client.send({ content: 'hi', to: bob.session.userID })).ok,
    ).toBe(true);
  });
});
