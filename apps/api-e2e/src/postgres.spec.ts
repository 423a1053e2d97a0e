import type { Message, SessionInfo } from '@chat/contracts';
import {
  ClientPool,
  startApi,
  startPostgres,
  type ApiProcess,
  type ConnectedUser,
  type TestPostgres,
} from '@chat/test-support';
import { redisBackends, type RedisBackend } from './redis-backends';
import pg from 'pg';

/**
 * STORE=postgres at the process level: three real api processes (the production build) keep
 * sessions, messages and markers in one PostgreSQL and share presence, rate limits and broadcasts
 * through Redis, or a Redis Cluster of three masters; clients are spread over them.
 */

/** The bound for showing the users of a dead node offline. */
const GHOST_BOUND_MS = 15_000;
/** How long a negative is given to show up, once a positive control has arrived. */
const SETTLE_MS = 500;

const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

const backends = redisBackends('pg');

describe.each(backends)(
  'several api nodes on PostgreSQL and $name',
  (backend) => {
    let postgres: TestPostgres;
    let redis: RedisBackend;
    let nodes: ApiProcess[] = [];
    const clients = new ClientPool(() => nodes[0].url);

    beforeAll(async () => {
      [postgres, redis] = await Promise.all([startPostgres(), backend.start()]);
    }, 30_000);

    afterAll(async () => {
      await Promise.all([postgres?.stop(), redis?.stop()]);
    });

    afterEach(async () => {
      clients.closeAll();
      await Promise.all(nodes.map((node) => node.stop()));
      nodes = [];
    });

    /** Starts `count` nodes on a schema and a key prefix of their own per test. */
    let run = 0;
    async function startNodes(count: number, env: Record<string, string> = {}) {
      const shared = {
        STORE: 'postgres',
        DATABASE_URL: await postgres.newSchema(),
        ...redis.env(++run),
        ...env,
      };
      // One first: it migrates the new schema (the others would wait for its lock anyway).
      const first = await startApi(shared);
      const rest = await Promise.all(
        Array.from({ length: count - 1 }, () => startApi(shared)),
      );
      nodes = [first, ...rest];
      return nodes;
    }

    const on = (node: ApiProcess, auth: unknown): Promise<ConnectedUser> =>
      clients.connect(auth, node.url);
    const resume = (node: ApiProcess, session: SessionInfo) =>
      on(node, { sessionID: session.sessionID });

    it('lists the users of every node and delivers to every tab of both sides, wherever they are', async () => {
      const [one, two, three] = await startNodes(3);
      const alice = await on(one, { username: 'alice' });
      const bob = await on(two, { username: 'bob' });
      const bobTab2 = await resume(three, bob.session);
      const aliceTab2 = await resume(three, alice.session);

      const carol = await on(two, { username: 'carol' });
      expect(carol.users.map((user) => user.username).sort()).toEqual([
        'alice',
        'bob',
        'carol',
      ]);
      expect(carol.users.every((user) => user.connected)).toBe(true);

      const ack = await alice.client.send({
        content: 'hello from node one',
        to: bob.session.userID,
      });
      expect(ack.ok).toBe(true);
      const delivered = (message: { content: string }) =>
        message.content === 'hello from node one';
      await bob.client.waitFor('private message', delivered);
      await bobTab2.client.waitFor('private message', delivered);
      await aliceTab2.client.waitFor('private message', delivered);

      // Positive control first: a later message reaches alice's first tab; the echo of her own never did.
      const reply = await bobTab2.client.send({
        content: 'reply',
        to: alice.session.userID,
      });
      expect(reply.ok).toBe(true);
      await alice.client.waitFor(
        'private message',
        (message) => message.content === 'reply',
      );
      expect(
        alice.client.all('private message').map((message) => message.content),
      ).toEqual(['reply']);
      expect(carol.client.all('private message')).toEqual([]);

      // History and unread counts come from PostgreSQL, whichever node is asked.
      const carolOnThree = await resume(three, carol.session);
      expect(carolOnThree.users.length).toBe(3);
      const bobElsewhere = await resume(one, bob.session);
      const withAlice = bobElsewhere.users.find(
        (user) => user.userID === alice.session.userID,
      );
      expect(withAlice?.messages.map((message) => message.content)).toEqual([
        'hello from node one',
        'reply',
      ]);
      expect(withAlice?.unread).toBe(1);
    });

    it('announces a user offline once, when their last tab on any node closes', async () => {
      const [one, two, three] = await startNodes(3);
      const carol = await on(one, { username: 'carol' });
      const bob = await on(two, { username: 'bob' });
      const bobTab2 = await resume(three, bob.session);
      const offline = () =>
        carol.client
          .all('user disconnected')
          .filter((id) => id === bob.session.userID);

      bob.client.close();
      // Control: bob's other tab, on another node, still talks to carol after the first one closed.
      await bobTab2.client.send({
        content: 'still here',
        to: carol.session.userID,
      });
      await carol.client.waitFor(
        'private message',
        (message) => message.content === 'still here',
      );
      await settle();
      expect(offline()).toEqual([]);

      bobTab2.client.close();
      await carol.client.waitFor(
        'user disconnected',
        (id) => id === bob.session.userID,
      );
      await settle();
      expect(offline()).toHaveLength(1);
      const later = await on(three, { username: 'dave' });
      expect(
        later.users.find((user) => user.userID === bob.session.userID)
          ?.connected,
      ).toBe(false);
    });

    it('shows the users of a killed node offline within 15 s, but not those who reconnected elsewhere', async () => {
      const [one, two, three] = await startNodes(3);
      const observer = await on(one, { username: 'frank' });
      const dave = await on(three, { username: 'dave' });
      const erin = await on(three, { username: 'erin' });

      const killedAt = Date.now();
      await three.stop('SIGKILL');
      const erinAgain = await resume(two, erin.session);
      expect(erinAgain.session.userID).toBe(erin.session.userID);

      await observer.client.waitFor(
        'user disconnected',
        (id) => id === dave.session.userID,
        GHOST_BOUND_MS,
      );
      expect(Date.now() - killedAt).toBeLessThanOrEqual(GHOST_BOUND_MS);
      await settle();
      expect(observer.client.all('user disconnected')).not.toContain(
        erin.session.userID,
      );

      const fresh = await on(one, { username: 'grace' });
      const seen = new Map(
        fresh.users.map((user) => [user.userID, user.connected]),
      );
      expect(seen.get(dave.session.userID)).toBe(false);
      expect(seen.get(erin.session.userID)).toBe(true);
    });

    it('keeps every acknowledged message, in order, without duplicates, when a node is SIGKILLed mid-stream', async () => {
      const [one, two] = await startNodes(2, {
        HISTORY_LIMIT: '1000',
        RATE_LIMIT_BURST: '1000',
        RATE_LIMIT_PER_SECOND: '1000',
      });
      const alice = await on(one, { username: 'alice' });
      const bob = await on(two, { username: 'bob' });

      // A stream in both directions through the node about to die, not awaited one by one.
      const acked: Message[] = [];
      const sends: Promise<unknown>[] = [];
      const send = (i: number) => {
        sends.push(
          alice.client
            .send({ content: `message ${i}`, to: bob.session.userID })
            .then((ack) => {
              if (ack.ok) acked.push(ack.message);
            })
            .catch(() => undefined), // unacknowledged: the kill came first
        );
      };
      let sent = 0;
      while (acked.length < 100 && sent < 2000) {
        for (let k = 0; k < 10; k++) send(sent++);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await one.stop('SIGKILL');
      await Promise.all(sends);
      expect(acked.length).toBeGreaterThanOrEqual(100);

      const bobAgain = await resume(two, bob.session);
      const stored =
        bobAgain.users.find((user) => user.userID === alice.session.userID)
          ?.messages ?? [];
      const ids = stored.map((message) => message.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual(ids);
      const byId = new Map(stored.map((message) => [message.id, message]));
      for (const message of acked)
        expect(byId.get(message.id)).toEqual(message);
      const numbers = stored.map((message) =>
        Number(message.content.split(' ')[1]),
      );
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    });

    it('refuses to start on a database migrated by a newer version, saying so in one line', async () => {
      const [node] = await startNodes(1);
      const url = node.env['DATABASE_URL'];
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(
          `INSERT INTO kysely_migration (name, timestamp) VALUES ('9999_from_the_future', now())`,
        );
      } finally {
        await client.end();
      }
      await expect(startApi({ ...node.env })).rejects.toThrow(
        /exited with code 1[\s\S]*DATABASE_URL=.*: the database schema is newer than this api/,
      );
    });
  },
);
