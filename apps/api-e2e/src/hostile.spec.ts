import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, INVALID_USERNAME } from '@chat/contracts';
import {
  ClientPool,
  eventually,
  openTransport,
  runApiToExit,
  startApi,
  type ApiProcess,
  type RawTransport,
} from '@chat/test-support';

/**
 * A hostile client against the built api, as real processes on loopback (issue 13's attack pass,
 * each finding): every loop bounded in count and time.
 */

/** socket.io's CONNECT packet of the main namespace, with this handshake `auth`. */
const connect = (auth: unknown) => `0${JSON.stringify(auth)}`;
const isConnectAck = (packet: string) => packet.startsWith('0{"sid"');

/** One sample of the api's Prometheus scrape (METRICS_PORT), e.g. `chat_connected_sockets`. */
async function metric(api: ApiProcess, series: string): Promise<number> {
  const url = /metrics at (http:\/\/[^\s"]+)/.exec(api.output())?.[1];
  if (!url) throw new Error(`no metrics URL in the output:\n${api.output()}`);
  const text = await (await fetch(url)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('hostile clients against the built api', () => {
  let api: ApiProcess | undefined;
  const clients = new ClientPool(() => api?.url ?? '');
  const transports: RawTransport[] = [];
  const open = async (...args: Parameters<typeof openTransport>) => {
    const transport = await openTransport(...args);
    transports.push(transport);
    return transport;
  };

  afterEach(async () => {
    for (const transport of transports.splice(0)) transport.close();
    clients.closeAll();
    await api?.stop();
    api = undefined;
  });

  describe('finding 1: connections per address', () => {
    it('makes at most one socket of 100 CONNECTs on one websocket; the address keeps its 20', async () => {
      api = await startApi({
        MAX_CONNECTIONS_PER_ADDRESS: '20',
        METRICS_PORT: '0',
      });
      const { url } = api;
      // Guide mode (no paged directory): each extra socket would be announced to the others.
      for (let round = 0; round < 5; round++) {
        const hostile = await open(url);
        for (let i = 0; i < 100; i++)
          hostile.send(connect({ username: `burst${round}-${i}` }));
        await hostile.closed();
        expect(
          hostile.received.filter(isConnectAck).length,
        ).toBeLessThanOrEqual(1);
      }
      await eventually(
        async () => (await metric(api as ApiProcess, 'chat_transports')) === 0,
        'every hostile transport gone',
      );
      // The address still has its whole budget, and not one more.
      const tabs = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          clients.connect({ username: `tab${i}` }),
        ),
      );
      expect(
        (await clients.refused({ sessionID: tabs[0].session.sessionID }))
          .message,
      ).toBe('websocket error');
      // Each burst's first CONNECT was a handshake like any other: at most one user per burst.
      const listed = tabs.at(-1)?.users ?? [];
      expect(
        listed.filter((user) => user.username.startsWith('burst')).length,
      ).toBeLessThanOrEqual(5);
      expect(await metric(api, 'chat_connected_sockets')).toBe(20);
      await expect(open(url)).rejects.toThrow();
      expect(await metric(api, 'chat_connected_sockets')).toBe(20);
    });

    it('counts transports that never send CONNECT, and closes them after the connect timeout', async () => {
      api = await startApi({
        MAX_CONNECTIONS_PER_ADDRESS: '20',
        METRICS_PORT: '0',
      });
      const started = Date.now();
      const silent = await Promise.all(
        Array.from({ length: 20 }, () => open(api?.url ?? '')),
      );
      await expect(open(api.url)).rejects.toThrow();
      expect((await clients.refused({ username: 'late' })).message).toBe(
        'websocket error',
      );
      await Promise.all(silent.map((transport) => transport.closed(10_000)));
      const heldMs = Date.now() - started;
      expect(heldMs).toBeLessThan(10_000);
      await clients.connect({ username: 'after' });
    });
  });

  it('finding 2: a 2 MiB frame of nested arrays is cut unparsed; bystanders are served', async () => {
    api = await startApi();
    const alice = await clients.connect({ username: 'alice' });
    const bob = await clients.connect({ username: 'bob' });
    const depth = 1024 * 1024 - 8;
    for (let round = 0; round < 3; round++) {
      const hostile = await open(api.url);
      hostile.send(`0{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      expect(
        (
          await alice.client.send({
            content: `during ${round}`,
            to: bob.session.userID,
          })
        ).ok,
      ).toBe(true);
      await hostile.closed();
      expect(hostile.received).toEqual([]);
    }
  });

  describe('finding 3: Origin', () => {
    it('refuses websocket upgrades and long-polling from another site, creating nobody', async () => {
      api = await startApi({ METRICS_PORT: '0' });
      const evil = { Origin: 'https://evil.example' };
      for (let i = 0; i < 5; i++)
        await expect(open(api.url, { headers: evil })).rejects.toThrow();
      const polling = await fetch(
        `${api.url}/socket.io/?EIO=4&transport=polling`,
        { headers: evil },
      );
      expect(polling.status).toBe(403);
      expect(
        await metric(
          api,
          'chat_handshakes_refused_total{reason="forbidden origin"}',
        ),
      ).toBe(6);
      // The page's own origin and a client without one get in.
      const own = await open(api.url, {
        headers: { Origin: new URL(api.url).origin },
      });
      own.send(connect({ username: 'alice' }));
      await eventually(
        () => own.received.some(isConnectAck),
        'the own-origin socket connected',
      );
      const witness = await clients.connect({ username: 'witness' });
      expect(witness.users.map((user) => user.username).sort()).toEqual([
        'alice',
        'witness',
      ]);
    });
  });

  it('finding 4: security headers on the web app', async () => {
    api = await startApi();
    const response = await fetch(api.url);
    expect(response.headers.get('content-security-policy')).toContain(
      "script-src 'self'",
    );
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it.each([
    ['a zero-width space', 'ad\u200Bmin', /invisible characters \(U\+200B\)/],
    [
      'a right-to-left override',
      '\u202Enimda',
      /bidirectional control characters \(U\+202E\)/,
    ],
    ['a Hangul filler', '\u3164', /invisible characters/],
  ])(
    'finding 5: refuses a username with %s as "invalid username", saying why',
    async (_label, username, reason) => {
      api = await startApi();
      const refused = await clients.refused({ username });
      expect(refused.message).toBe(INVALID_USERNAME);
      expect(refused.data?.reason).toMatch(reason);
      const witness = await clients.connect({ username: 'witness' });
      expect(witness.users.map((user) => user.username)).toEqual(['witness']);
    },
  );

  it('finding 6: content with a lone surrogate or a NUL is "invalid payload", never stored or delivered', async () => {
    api = await startApi();
    const alice = await clients.connect({ username: 'alice' });
    const bob = await clients.connect({ username: 'bob' });
    for (const content of [
      '\uD800',
      'ok \uDC00 not',
      'tail \uD83D',
      'nul \u0000',
    ])
      expect(
        await alice.client.send({ content, to: bob.session.userID }),
      ).toEqual({ ok: false, error: ErrorCode.InvalidPayload });
    expect(
      (await alice.client.send({ content: '😀 fine', to: bob.session.userID }))
        .ok,
    ).toBe(true);
    await bob.client.waitFor('private message', (m) => m.content === '😀 fine');
    expect(bob.client.all('private message').map((m) => m.content)).toEqual([
      '😀 fine',
    ]);
    // Restarted on the same file, the replay holds only the well-formed one.
    const path = api.env['SQLITE_PATH'];
    await api.stop();
    clients.closeAll();
    api = await startApi({ SQLITE_PATH: path });
    const bobAgain = await clients.connect({
      sessionID: bob.session.sessionID,
    });
    expect(
      bobAgain.users
        .find((user) => user.userID === alice.session.userID)
        ?.messages.map((m) => m.content),
    ).toEqual(['😀 fine']);
  });

  describe('finding 7: start-up errors and refusals that say what happened', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chat-hostile-'));
    const notADatabase = join(dir, 'notes.txt');
    writeFileSync(notADatabase, 'x'.repeat(4096));

    it.each([
      ['a folder', dir, /is a directory/],
      ['a path under /proc', '/proc/chat-data/chat.sqlite', /ENOENT/],
      ['a path under a file', join(notADatabase, 'chat.sqlite'), /ENOTDIR/],
      ['a file that is not a database', notADatabase, /not a database/],
    ])(
      'a SQLITE_PATH of %s: one line naming it, exit 1, at once',
      async (_label, path, cause) => {
        const run = await runApiToExit({ STORE: 'sqlite', SQLITE_PATH: path });
        expect(run.code).toBe(1);
        expect(run.ms).toBeLessThan(10_000);
        const printed = `${run.stdout}${run.stderr}`.trim();
        expect(printed.split('\n')).toHaveLength(1);
        expect(printed.startsWith(`SQLITE_PATH=${path}: `)).toBe(true);
        expect(printed).toMatch(cause);
      },
    );

    it('refuses a forged sessionID alone saying the session is unknown or expired', async () => {
      api = await startApi();
      const refused = await clients.refused({ sessionID: 'A'.repeat(43) });
      expect(refused.message).toBe(INVALID_USERNAME);
      expect(refused.data?.reason).toMatch(/unknown or expired session/);
      // With a username it starts a new session, as the protocol says.
      const fresh = await clients.connect({
        sessionID: 'A'.repeat(43),
        username: 'carol',
      });
      expect(fresh.session.sessionID).not.toBe('A'.repeat(43));
    });
  });

  it('logs: every record one JSON line, never a sessionID or a message content', async () => {
    api = await startApi({ LOG_LEVEL: 'trace', NEW_SESSIONS_PER_MINUTE: '2' });
    const alice = await clients.connect({ username: 'alice' });
    const bob = await clients.connect({ username: 'bob' });
    const secrets = [alice.session.sessionID, bob.session.sessionID];
    const contents = ['a very private sentence', 'another secret thought'];
    for (const content of contents)
      await alice.client.send({ content, to: bob.session.userID });
    // Things that are logged: drops without an ack, refused handshakes, a reconnect.
    alice.client.emitRaw('private message', {
      content: 'dropped private words',
      to: 'nobody',
    });
    contents.push('dropped private words');
    await clients.refused({ sessionID: 'B'.repeat(43) });
    await clients.refused({ username: 'x', sessionID: 'C'.repeat(43) });
    secrets.push('B'.repeat(43), 'C'.repeat(43));
    bob.client.close();
    await clients.connect({ sessionID: bob.session.sessionID });
    await eventually(
      () => /dropped a private message/.test(api?.output() ?? ''),
      'the drop logged',
    );
    await api.stop();
    const lines = api
      .output()
      .split('\n')
      .filter((line) => line.trim() !== '');
    const records = lines.filter(
      (line) => !line.startsWith('server listening at'),
    );
    expect(records.length).toBeGreaterThan(5);
    for (const line of records) expect(() => JSON.parse(line)).not.toThrow();
    for (const secret of [...secrets, ...contents])
      expect(api.output()).not.toContain(secret);
  });
});
