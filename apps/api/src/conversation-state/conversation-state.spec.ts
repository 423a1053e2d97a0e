import {
  ErrorCode,
  type Message,
  type Receipt,
  type UserView,
} from '@chat/contracts';
import {
  redisForTests,
  startPostgres,
  type TestPostgres,
  type TestRedis,
} from '@chat/test-support';
import type { RawEnv } from '../config/app-config';
import {
  ClientPool,
  say,
  startServer,
  type ConnectedUser,
  type TestServer,
} from '../testing/chat-test-kit';
import { TempDir } from '../testing/temp-dir';

/** How long a negative is given to show up, once a positive control has arrived. */
const SETTLE_MS = 200;
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

type Backend = 'memory' | 'sqlite' | 'redis' | 'postgres';

// Receipts, read markers, unread counts, typing and settings against the real app, on each store.
// On Redis, and on PostgreSQL with Redis, the deployment has two nodes, and every test spreads its users over them: the reader
// on node A (a second tab on B), the sender's tabs on B and A. On one node, "node B" is node A.
describe.each<Backend>(['memory', 'sqlite', 'redis', 'postgres'])(
  'conversation state (%s)',
  (backend) => {
    let nodes: TestServer[] = [];
    let redis: TestRedis | undefined;
    let postgres: TestPostgres | undefined;
    let dir: TempDir | undefined;
    let run = 0;
    const pool = new ClientPool(() => nodes[0].url);

    beforeAll(async () => {
      if (backend === 'redis' || backend === 'postgres')
        redis = await redisForTests();
      if (backend === 'postgres') postgres = await startPostgres();
      if (backend === 'sqlite') dir = new TempDir();
    });

    afterAll(async () => {
      await redis?.stop();
      await postgres?.stop();
      dir?.remove();
    });

    afterEach(async () => {
      expect(pool.allReceived.filter((r) => r.event === 'exception')).toEqual(
        [],
      );
      pool.closeAll();
      await Promise.all(nodes.map((node) => node.app.close()));
      nodes = [];
    });

    /**
     * The deployment: one node, or two on one Redis (a key prefix of their own per test), with
     * PostgreSQL holding the stores (a schema of their own per test).
     */
    async function start(env: RawEnv = {}): Promise<void> {
      if (backend === 'memory') nodes = [await startServer(env)];
      else if (backend === 'sqlite')
        nodes = [
          await startServer({
            STORE: 'sqlite',
            SQLITE_PATH: dir?.file(),
            ...env,
          }),
        ];
      else {
        const shared = {
          STORE: 'redis',
          REDIS_URL: redis?.url,
          REDIS_PREFIX: `${redis?.prefix}${++run}:`,
          ...(backend === 'postgres'
            ? { STORE: 'postgres', DATABASE_URL: await postgres?.newSchema() }
            : {}),
          ...env,
        };
        nodes = await Promise.all([startServer(shared), startServer(shared)]);
      }
    }

    const A = 0;
    const B = 1;
    const on = (node: number, auth: unknown) =>
      pool.connect(auth, nodes[node % nodes.length].url);
    const tab = (node: number, user: ConnectedUser) =>
      on(node, { sessionID: user.session.sessionID });
    const entry = (user: ConnectedUser, of: ConnectedUser) =>
      user.users.find((u) => u.userID === of.session.userID) as UserView;
    const sent = async (from: ConnectedUser, to: ConnectedUser, n: number) => {
      const messages: Message[] = [];
      for (let i = 0; i < n; i++)
        messages.push(await say(from, to, `${from.session.username} ${i}`));
      return messages;
    };
    const receipts = (user: ConnectedUser) => user.client.all('receipt');

    describe('receipts and read markers', () => {
      let alice: ConnectedUser; // the reader
      let aliceThere: ConnectedUser;
      let bob: ConnectedUser; // the sender
      let bobHere: ConnectedUser;
      let fromBob: Message[];

      beforeEach(async () => {
        await start();
        alice = await on(A, { username: 'alice' });
        aliceThere = await tab(B, alice);
        bob = await on(B, { username: 'bob' });
        bobHere = await tab(A, bob);
        fromBob = await sent(bob, alice, 3);
      });

      it('tells every tab of the sender what was delivered and read, and every tab of the reader its read marker, the sending tab too', async () => {
        expect(
          await alice.client.receipt({
            userID: bob.session.userID,
            delivered: fromBob[2].id,
          }),
        ).toEqual({ ok: true });
        for (const sender of [bob, bobHere])
          expect(await sender.client.waitFor('receipt')).toEqual({
            userID: alice.session.userID,
            delivered: fromBob[2].id,
            at: expect.any(String),
          });

        expect(
          await alice.client.receipt({
            userID: bob.session.userID,
            read: fromBob[1].id,
          }),
        ).toEqual({ ok: true });
        for (const reader of [alice, aliceThere])
          expect(await reader.client.waitFor('read marker')).toEqual({
            userID: bob.session.userID,
            read: fromBob[1].id,
            unread: 1,
          });
        for (const sender of [bob, bobHere])
          expect(
            await sender.client.waitFor('receipt', (r) => r.read !== undefined),
          ).toEqual({
            userID: alice.session.userID,
            read: fromBob[1].id,
            at: expect.any(String),
          });
        const at = Date.parse((receipts(bob)[1] as Receipt).at);
        expect(Math.abs(at - Date.now())).toBeLessThan(5000);

        // A read also moves delivered: the sender hears both at once.
        await sent(bob, alice, 1).then(([m]) => fromBob.push(m));
        await alice.client.receipt({
          userID: bob.session.userID,
          read: fromBob[3].id,
        });
        expect(
          await bob.client.waitFor('receipt', (r) => r.read === fromBob[3].id),
        ).toEqual({
          userID: alice.session.userID,
          delivered: fromBob[3].id,
          read: fromBob[3].id,
          at: expect.any(String),
        });
        // Nobody else heard of it: not the sender as read marker, not the reader as receipt.
        await aliceThere.client.waitFor(
          'read marker',
          (m) => m.read === fromBob[3].id,
        );
        await settle();
        expect(bob.client.all('read marker')).toEqual([]);
        expect(receipts(alice)).toEqual([]);
        expect(aliceThere.client.all('read marker')).toHaveLength(2);
      });

      it('never moves a marker back: an older id is acknowledged and told to nobody', async () => {
        await alice.client.receipt({
          userID: bob.session.userID,
          read: fromBob[2].id,
        });
        await bob.client.waitFor('receipt');
        for (const payload of [
          { read: fromBob[0].id },
          { delivered: fromBob[1].id },
          { delivered: fromBob[2].id, read: fromBob[2].id },
        ])
          expect(
            await aliceThere.client.receipt({
              userID: bob.session.userID,
              ...payload,
            }),
          ).toEqual({ ok: true });
        // Positive control: a new message, read, is told.
        const [last] = await sent(bob, alice, 1);
        await alice.client.receipt({
          userID: bob.session.userID,
          read: last.id,
        });
        await bob.client.waitFor('receipt', (r) => r.read === last.id);
        await aliceThere.client.waitFor(
          'read marker',
          (m) => m.read === last.id,
        );
        await settle();
        expect(receipts(bob).map((r) => r.read)).toEqual([
          fromBob[2].id,
          last.id,
        ]);
        expect(aliceThere.client.all('read marker').map((m) => m.read)).toEqual(
          [fromBob[2].id, last.id],
        );
        const back = await tab(B, bob);
        expect(entry(back, alice)).toMatchObject({
          theirDeliveredUpTo: last.id,
          theirReadUpTo: last.id,
        });
      });

      it('answers invalid payload to a receipt naming anything but messages from that user, and tells nobody', async () => {
        const [fromAlice] = await sent(alice, bob, 1);
        const carol = await on(B, { username: 'carol' });
        const [toCarol] = await sent(bob, carol, 1);
        const invalid = { ok: false, error: ErrorCode.InvalidPayload };
        for (const payload of [
          { userID: bob.session.userID },
          { userID: bob.session.userID, read: fromAlice.id },
          { userID: bob.session.userID, delivered: toCarol.id },
          { userID: carol.session.userID, read: fromBob[0].id },
          { userID: 'nobody', read: fromBob[0].id },
          { userID: bob.session.userID, read: '01JZ0000000000000000000000' },
          // One good id does not carry a bad one: nothing of it is applied.
          {
            userID: bob.session.userID,
            delivered: fromBob[2].id,
            read: fromAlice.id,
          },
          { userID: bob.session.userID, read: 42 },
          { userID: bob.session.userID, read: 'x'.repeat(300) },
          'bob',
          null,
        ])
          expect(await alice.client.receipt(payload)).toEqual(invalid);
        // Without an acknowledgement: dropped all the same.
        alice.client.emitRaw('receipt', { userID: bob.session.userID });
        alice.client.emitRaw('receipt');
        // Positive control.
        await alice.client.receipt({
          userID: bob.session.userID,
          delivered: fromBob[0].id,
        });
        await bobHere.client.waitFor('receipt');
        await settle();
        for (const user of [bob, bobHere])
          expect(receipts(user)).toEqual([
            {
              userID: alice.session.userID,
              delivered: fromBob[0].id,
              at: expect.any(String),
            },
          ]);
        for (const user of [alice, aliceThere, carol, bob])
          expect(user.client.all('read marker')).toEqual([]);
        expect(receipts(carol)).toEqual([]);
        expect(entry(await tab(A, alice), bob)).toMatchObject({ unread: 3 });
      });

      it("keeps reads private with read receipts off: the sender sees delivered only, the reader's devices still sync, and turning it on again reveals nothing earlier", async () => {
        expect(await alice.client.settings({ readReceipts: false })).toEqual({
          ok: true,
          settings: { readReceipts: false, typing: true },
        });
        for (const reader of [alice, aliceThere])
          expect(await reader.client.waitFor('settings')).toEqual({
            readReceipts: false,
            typing: true,
          });
        await alice.client.receipt({
          userID: bob.session.userID,
          read: fromBob[1].id,
        });
        expect(await aliceThere.client.waitFor('read marker')).toEqual({
          userID: bob.session.userID,
          read: fromBob[1].id,
          unread: 1,
        });
        expect(await bob.client.waitFor('receipt')).toEqual({
          userID: alice.session.userID,
          delivered: fromBob[1].id,
          at: expect.any(String),
        });

        await alice.client.settings({ readReceipts: true });
        expect(entry(await tab(B, bob), alice)).toEqual(
          expect.objectContaining({ theirDeliveredUpTo: fromBob[1].id }),
        );
        expect('theirReadUpTo' in entry(await tab(B, bob), alice)).toBe(false);
        // A read made with it on again is told.
        await alice.client.receipt({
          userID: bob.session.userID,
          read: fromBob[2].id,
        });
        expect(
          await bobHere.client.waitFor('receipt', (r) => r.read !== undefined),
        ).toEqual({
          userID: alice.session.userID,
          delivered: fromBob[2].id,
          read: fromBob[2].id,
          at: expect.any(String),
        });
        await settle();
        expect(receipts(bob).map((r) => r.read)).toEqual([
          undefined,
          fromBob[2].id,
        ]);
      });

      it("shows nobody's reads to a sender whose own read receipts are off, delivered still", async () => {
        await bob.client.settings({ readReceipts: false });
        await alice.client.receipt({
          userID: bob.session.userID,
          read: fromBob[2].id,
        });
        expect(await bobHere.client.waitFor('receipt')).toEqual({
          userID: alice.session.userID,
          delivered: fromBob[2].id,
          at: expect.any(String),
        });
        expect(entry(await tab(A, bob), alice)).toEqual(
          expect.not.objectContaining({ theirReadUpTo: expect.anything() }),
        );
        // The reader's side is unchanged: alice sees her own marker.
        expect(entry(await tab(B, alice), bob)).toMatchObject({
          readUpTo: fromBob[2].id,
          unread: 0,
        });
      });

      it('acknowledges a receipt about your own messages to self without telling anyone', async () => {
        const [note] = await sent(alice, alice, 1);
        expect(
          await alice.client.receipt({
            userID: alice.session.userID,
            read: note.id,
          }),
        ).toEqual({ ok: true });
        await alice.client.receipt({
          userID: bob.session.userID,
          read: fromBob[0].id,
        });
        await aliceThere.client.waitFor('read marker');
        await settle();
        expect(receipts(aliceThere)).toEqual([]);
        expect(aliceThere.client.all('read marker')).toHaveLength(1);
      });
    });

    describe('unread counts', () => {
      it('counts the whole history in users after a reconnect, beyond HISTORY_LIMIT, on every device', async () => {
        await start({ HISTORY_LIMIT: '3' });
        const alice = await on(A, { username: 'alice' });
        const bob = await on(B, { username: 'bob' });
        const fromBob = await sent(bob, alice, 7);
        await sent(alice, bob, 2);
        const back = await tab(B, alice);
        expect(entry(back, bob)).toMatchObject({
          messages: expect.any(Array),
          hasMoreMessages: true,
          unread: 7,
        });
        expect(entry(back, bob).messages).toHaveLength(3);
        expect('readUpTo' in entry(back, bob)).toBe(false);
        // Alice's own entry has no conversation state.
        expect(entry(back, alice)).not.toHaveProperty('unread');

        await back.client.receipt({
          userID: bob.session.userID,
          read: fromBob[4].id,
        });
        expect(await alice.client.waitFor('read marker')).toEqual({
          userID: bob.session.userID,
          read: fromBob[4].id,
          unread: 2,
        });
        const again = await tab(A, alice);
        expect(entry(again, bob)).toMatchObject({
          readUpTo: fromBob[4].id,
          unread: 2,
        });
        const bobAgain = await tab(A, bob);
        expect(entry(bobAgain, alice)).toMatchObject({
          unread: 2,
          theirDeliveredUpTo: fromBob[4].id,
          theirReadUpTo: fromBob[4].id,
        });
        // fetch users carries the same fields.
        const fetched = await again.client.fetchUsers({
          userIDs: [bob.session.userID],
        });
        expect(fetched).toMatchObject({
          ok: true,
          users: [{ readUpTo: fromBob[4].id, unread: 2 }],
        });
      });

      it('says when an offline user was last seen', async () => {
        await start();
        const alice = await on(A, { username: 'alice' });
        const bob = await on(B, { username: 'bob' });
        const before = Date.now();
        bob.client.close();
        await alice.client.waitFor('user disconnected');
        const after = Date.now();
        const seen = entry(await tab(B, alice), bob);
        expect(seen.connected).toBe(false);
        const lastSeen = Date.parse(seen.lastSeen ?? '');
        expect(lastSeen).toBeGreaterThanOrEqual(before - 1);
        expect(lastSeen).toBeLessThanOrEqual(after + 1);
        expect('lastSeen' in entry(await tab(A, alice), alice)).toBe(false);
      });
    });

    describe('rate limits', () => {
      it('limits receipts with a bucket of their own', async () => {
        await start({ RATE_LIMIT_BURST: '3', RATE_LIMIT_PER_SECOND: '0.001' });
        const alice = await on(A, { username: 'alice' });
        const aliceThere = await tab(B, alice);
        const bob = await on(B, { username: 'bob' });
        const [m] = await sent(bob, alice, 1);
        const receipt = { userID: bob.session.userID, delivered: m.id };
        const answers = [
          await alice.client.receipt(receipt),
          await aliceThere.client.receipt(receipt),
          await alice.client.receipt(receipt),
          await aliceThere.client.receipt(receipt),
        ];
        expect(answers).toEqual([
          { ok: true },
          { ok: true },
          { ok: true },
          { ok: false, error: ErrorCode.RateLimited },
        ]);
        // Settings share it; messages and fetches have their own.
        expect(await alice.client.settings({ typing: false })).toEqual({
          ok: false,
          error: ErrorCode.RateLimited,
        });
        expect(
          (
            await alice.client.send({
              content: 'still',
              to: bob.session.userID,
            })
          ).ok,
        ).toBe(true);
      });
    });

    describe('typing', () => {
      let alice: ConnectedUser;
      let bob: ConnectedUser;
      let bobHere: ConnectedUser;
      let carol: ConnectedUser;

      beforeEach(async () => {
        await start();
        alice = await on(A, { username: 'alice' });
        bob = await on(B, { username: 'bob' });
        bobHere = await tab(A, bob);
        carol = await on(B, { username: 'carol' });
      });

      const typing = (user: ConnectedUser) => user.client.all('typing');

      it('reaches every tab of the recipient, across nodes, and nobody else', async () => {
        alice.client.emitRaw('typing', {
          to: bob.session.userID,
          typing: true,
        });
        for (const recipient of [bob, bobHere])
          expect(await recipient.client.waitFor('typing')).toEqual({
            userID: alice.session.userID,
            typing: true,
          });
        await settle();
        expect(typing(carol)).toEqual([]);
        expect(typing(alice)).toEqual([]);
      });

      it('forwards two at once per recipient, then drops trues, but always the false after a forwarded true', async () => {
        for (let i = 0; i < 6; i++)
          alice.client.emitRaw('typing', {
            to: bob.session.userID,
            typing: true,
          });
        alice.client.emitRaw('typing', {
          to: bob.session.userID,
          typing: false,
        });
        await bob.client.waitFor('typing', (t) => !t.typing);
        // Another recipient has a bucket of its own.
        alice.client.emitRaw('typing', {
          to: carol.session.userID,
          typing: true,
        });
        await carol.client.waitFor('typing');
        await settle();
        expect(typing(bob)).toEqual([
          { userID: alice.session.userID, typing: true },
          { userID: alice.session.userID, typing: true },
          { userID: alice.session.userID, typing: false },
        ]);
      });

      it('drops notices to oneself, to unknown users and malformed ones, and is never stored', async () => {
        const aliceThere = await tab(B, alice);
        for (const payload of [
          { to: alice.session.userID, typing: true },
          { to: 'nobody', typing: true },
          { to: bob.session.userID, typing: 'yes' },
          { typing: true },
          null,
        ])
          alice.client.emitRaw('typing', payload);
        alice.client.emitRaw('typing', {
          to: bob.session.userID,
          typing: true,
        });
        await bobHere.client.waitFor('typing');
        await settle();
        expect(typing(bobHere)).toHaveLength(1);
        expect(typing(aliceThere)).toEqual([]);
        // A tab opened now hears nothing of it, and nothing of it is in users.
        const later = await tab(B, bob);
        await settle();
        expect(typing(later)).toEqual([]);
        expect(JSON.stringify(later.users)).not.toMatch(/typing/);
      });

      it('follows the typing setting of both: off, you neither send nor receive', async () => {
        await bob.client.settings({ typing: false });
        alice.client.emitRaw('typing', {
          to: bob.session.userID,
          typing: true,
        });
        bob.client.emitRaw('typing', {
          to: carol.session.userID,
          typing: true,
        });
        // Positive control: alice to carol still goes.
        alice.client.emitRaw('typing', {
          to: carol.session.userID,
          typing: true,
        });
        await carol.client.waitFor('typing');
        await settle();
        expect(typing(bob)).toEqual([]);
        expect(typing(bobHere)).toEqual([]);
        expect(typing(carol)).toEqual([
          { userID: alice.session.userID, typing: true },
        ]);
      });
    });

    describe('settings', () => {
      it('reach every tab of the user on every node, the changing one included, and survive a reconnect', async () => {
        await start();
        const alice = await on(A, { username: 'alice' });
        const aliceThere = await tab(B, alice);
        const bob = await on(B, { username: 'bob' });
        expect(alice.session.settings).toEqual({
          readReceipts: true,
          typing: true,
        });
        expect(await aliceThere.client.settings({ typing: false })).toEqual({
          ok: true,
          settings: { readReceipts: true, typing: false },
        });
        for (const user of [alice, aliceThere])
          expect(await user.client.waitFor('settings')).toEqual({
            readReceipts: true,
            typing: false,
          });
        // Reading them changes nothing and tells nobody.
        expect(await alice.client.settings({})).toEqual({
          ok: true,
          settings: { readReceipts: true, typing: false },
        });
        for (const payload of [{ typing: 'off' }, null, [false]])
          expect(await alice.client.settings(payload)).toEqual({
            ok: false,
            error: ErrorCode.InvalidPayload,
          });
        await settle();
        expect(alice.client.all('settings')).toHaveLength(1);
        expect(bob.client.all('settings')).toEqual([]);
        alice.client.close();
        aliceThere.client.close();
        const back = await tab(B, alice);
        expect(back.session.settings).toEqual({
          readReceipts: true,
          typing: false,
        });
      });
    });
  },
);
