import {
  ChatEvent,
  ErrorCode,
  type Message,
  type SessionInfo,
  type UserView,
} from '@chat/contracts';
import {
  redisForTests,
  startPostgres,
  type TestPostgres,
  type TestRedis,
} from '@chat/test-support';
import { MessageType } from 'socket.io-adapter';
import { watchRoom } from '../presence/presence-rooms';
import { PresenceKeeper } from '../presence/presence-keeper';
import { SessionPruner } from '../sessions/session-pruner';
import { PresenceStore } from '../presence/stores/presence.store';
import { RedisKeys } from '../shared/redis/redis-keys';
import type { RedisPresenceStore } from '../presence/stores/redis/redis-presence.store';
import { SessionStore } from '../sessions/stores/session.store';
import { RedisConnection } from '../shared/redis/redis-connection';
import { ManualClock } from '../testing/manual-clock';
import { HISTORY_LIMIT_MAX } from '../config/app-config';
import type { CreateAppOptions } from './create-app';
import {
  ClientPool,
  eventually,
  startServer,
  type ConnectedUser,
  type TestServer,
} from '../testing/chat-test-kit';

const HOUR = 3_600_000;

/** How long a negative is given to show up, once a positive control has arrived. */
const SETTLE_MS = 200;
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

type Store = 'redis' | 'postgres';

// Guide Part IV in one process: several real apps (createApp) on free ports, sharing one Redis
// through the stores and the socket.io sharded Redis adapter; clients spread over them. The same
// tests with STORE=postgres: sessions, messages and markers in PostgreSQL (a schema per test),
// presence, rate limits and fan-out in Redis.
describe.each<Store>(['redis', 'postgres'])(
  'several api nodes on one Redis (STORE=%s)',
  scaleOut,
);

function scaleOut(store: Store): void {
  let redis: TestRedis;
  let postgres: TestPostgres | undefined;
  let nodes: TestServer[] = [];
  let prefix: string;
  let databaseUrl: string | undefined;
  const pool = new ClientPool(() => nodes[0].url);
  let run = 0;
  /** What the Redis adapter does, whatever the store: tested once. */
  const adapterIt = store === 'redis' ? it : it.skip;

  beforeAll(async () => {
    redis = await redisForTests();
    if (store === 'postgres') postgres = await startPostgres();
  });

  afterAll(async () => {
    await redis?.stop();
    await postgres?.stop();
  });

  afterEach(async () => {
    pool.closeAll();
    await Promise.all(nodes.map((node) => node.app.close()));
    nodes = [];
  });

  /** `count` nodes of one deployment (a key prefix, and a schema, of their own per test). */
  async function startNodes(
    count: number,
    env: Record<string, string> = {},
    options: CreateAppOptions = {},
  ): Promise<TestServer[]> {
    prefix = `${redis.prefix}${++run}:`;
    databaseUrl = await postgres?.newSchema();
    nodes = await Promise.all(
      Array.from({ length: count }, () => startNode(env, options)),
    );
    return nodes;
  }

  /** One node of the deployment of the last `startNodes`; the caller adds it to `nodes`. */
  const startNode = (
    env: Record<string, string> = {},
    options: CreateAppOptions = {},
  ): Promise<TestServer> =>
    startServer(
      {
        STORE: store,
        REDIS_URL: redis.url,
        REDIS_PREFIX: prefix,
        ...(databaseUrl && { DATABASE_URL: databaseUrl }),
        ...env,
      },
      options,
    );

  const on = (node: TestServer, auth: unknown): Promise<ConnectedUser> =>
    pool.connect(auth, node.url);
  const resume = (node: TestServer, session: SessionInfo) =>
    on(node, { sessionID: session.sessionID });
  const presenceOf = (users: UserView[]) =>
    Object.fromEntries(users.map((u) => [u.username, u.connected]));
  const disconnections = (observer: ConnectedUser, user: ConnectedUser) =>
    observer.client
      .all('user disconnected')
      .filter((id) => id === user.session.userID);

  /**
   * The node dies as if SIGKILLed: no disconnect handler counts anything down, it does not leave,
   * its heartbeat stops. Its sockets and Redis connections close (as a dead process's would).
   */
  async function kill(node: TestServer): Promise<void> {
    await node.app.get(PresenceKeeper).stop();
    const presence = node.app.get(PresenceStore);
    presence.disconnect = async () => false;
    presence.leave = async () => [];
    await node.app.close();
    nodes = nodes.filter((other) => other !== node);
  }

  it('lists the users of every node, and announces arrivals on every node', async () => {
    const [one, two, three] = await startNodes(3);
    const alice = await on(one, { username: 'alice' });
    const bob = await on(two, { username: 'bob' });
    const carol = await on(three, { username: 'carol' });
    expect(presenceOf(carol.users)).toEqual({
      alice: true,
      bob: true,
      carol: true,
    });
    await alice.client.waitFor(
      'user connected',
      (u) => u.userID === carol.session.userID,
    );
    await bob.client.waitFor(
      'user connected',
      (u) => u.userID === carol.session.userID,
    );
  });

  it('delivers to every tab of the recipient and the sender, whatever their node, never to the sending socket', async () => {
    const [one, two, three] = await startNodes(3);
    const alice = await on(one, { username: 'alice' });
    const aliceOther = await resume(three, alice.session);
    const bob = await on(one, { username: 'bob' });
    const bobOther = await resume(two, bob.session);
    const carol = await on(two, { username: 'carol' });

    const ack = await alice.client.send({
      content: 'hello everywhere',
      to: bob.session.userID,
    });
    if (!ack.ok) throw new Error(ack.error);
    for (const tab of [bob, bobOther, aliceOther])
      expect(await tab.client.waitFor('private message')).toEqual(ack.message);

    // Positive control: alice's sending tab does get bob's reply (sent from another node)...
    const reply = await bobOther.client.send({
      content: 'reply',
      to: alice.session.userID,
    });
    if (!reply.ok) throw new Error(reply.error);
    await alice.client.waitFor(
      'private message',
      (m) => m.id === reply.message.id,
    );
    // ...but never saw its own message, and carol saw nothing of theirs.
    expect(alice.client.all('private message')).toEqual([reply.message]);
    expect(carol.client.all('private message')).toEqual([]);

    // History is shared too: a new tab of bob on the third node replays the conversation.
    const bobThird = await resume(three, bob.session);
    expect(
      bobThird.users.find((u) => u.userID === alice.session.userID)?.messages,
    ).toEqual([ack.message, reply.message]);
  });

  it('delivers a burst exactly once and in order, on the same node and across nodes', async () => {
    const [one, two] = await startNodes(2);
    const alice = await on(one, { username: 'alice' });
    const bobHere = await on(one, { username: 'bob' });
    const bobThere = await resume(two, bobHere.session);
    const aliceThere = await resume(two, alice.session);

    // Sent in one turn: many broadcasts of one node leave in the same stream entry.
    const acks = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        alice.client.send({ content: `m${i}`, to: bobHere.session.userID }),
      ),
    );
    const sent = acks.map((ack) => {
      if (!ack.ok) throw new Error(ack.error);
      return ack.message;
    });
    for (const tab of [bobHere, bobThere, aliceThere]) {
      await eventually(
        () => tab.client.all('private message').length >= sent.length,
        'the burst',
      );
      expect(tab.client.all('private message')).toEqual(sent);
    }
    // The ids follow the sending order, so order by id is the order sent.
    expect(sent.map((m) => m.content)).toEqual(
      Array.from({ length: 30 }, (_, i) => `m${i}`),
    );
    await settle();
    expect(bobThere.client.all('private message')).toHaveLength(sent.length);
  });

  it('delivers everything to tabs that open on another node mid-stream, once their rooms had only the sending node', async () => {
    // The stream lasts as long as the tabs take to open (longer on a loaded machine): neither the
    // rate limit nor the history replay may cut it short.
    const historyLimit = HISTORY_LIMIT_MAX;
    const [one, two] = await startNodes(2, {
      RATE_LIMIT_PER_SECOND: '1000',
      RATE_LIMIT_BURST: '1000',
      HISTORY_LIMIT: String(historyLimit),
    });
    const alice = await on(one, { username: 'alice' });
    const bob = await on(one, { username: 'bob' });
    // One after another, each once the last one is acked, at most one per 5 ms.
    const sent: Message[] = [];
    let streaming = true;
    const stream = (async () => {
      for (let i = 0; streaming; i++) {
        const ack = await alice.client.send({
          content: `m${i}`,
          to: bob.session.userID,
        });
        if (!ack.ok) throw new Error(ack.error);
        sent.push(ack.message);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    // By now node one has read that it alone subscribes to both rooms, and publishes no copy.
    await eventually(() => sent.length >= 5, 'the stream under way');
    const [aliceThere, bobThere] = await Promise.all([
      resume(two, alice.session),
      resume(two, bob.session),
    ]);
    const opened = sent.length;
    await eventually(
      () => sent.length >= opened + 10,
      'more after they opened',
    );
    streaming = false;
    await stream;
    expect(sent.length).toBeLessThan(historyLimit);
    // What each new tab has of the conversation: its history on connection, then live messages.
    const has = (tab: ConnectedUser, other: ConnectedUser) => {
      const ids = new Set(
        tab.users
          .find((u) => u.userID === other.session.userID)
          ?.messages.map((m) => m.id),
      );
      for (const m of tab.client.all('private message')) ids.add(m.id);
      return ids;
    };
    const all = sent.map((m) => m.id);
    for (const [tab, other] of [
      [aliceThere, bob],
      [bobThere, alice],
    ] as const)
      await eventually(
        () => all.every((id) => has(tab, other).has(id)),
        'every message',
      );
    // And the tabs on node one got each once, live.
    expect(bob.client.all('private message').map((m) => m.id)).toEqual(all);
  });

  it('stores and delivers a message once when it is sent again through another node (clientMessageId)', async () => {
    const [one, two] = await startNodes(2);
    const alice = await on(one, { username: 'alice' });
    const bob = await on(one, { username: 'bob' });
    const bobThere = await resume(two, bob.session);
    const aliceOther = await resume(two, alice.session);
    const payload = {
      content: 'sent twice',
      to: bob.session.userID,
      clientMessageId: 'across-nodes',
    };
    const first = await alice.client.send(payload);
    if (!first.ok) throw new Error(first.error);
    // The same message again, as after a reconnect that landed on the other node.
    const aliceThere = await resume(two, alice.session);
    expect(await aliceThere.client.send(payload)).toEqual(first);

    // Positive control through the second node, then time for a stray copy to show up.
    const control = await aliceThere.client.send({
      content: 'control',
      to: bob.session.userID,
    });
    if (!control.ok) throw new Error(control.error);
    for (const tab of [bob, bobThere, aliceOther])
      await tab.client.waitFor(
        'private message',
        (m) => m.id === control.message.id,
      );
    await settle();
    for (const tab of [bob, bobThere, aliceOther])
      expect(tab.client.all('private message')).toEqual([
        first.message,
        control.message,
      ]);
    const history = (await resume(one, bob.session)).users.find(
      (u) => u.userID === alice.session.userID,
    )?.messages;
    expect(history).toEqual([first.message, control.message]);
  });

  it('gives a user one rate limit across nodes: tabs on another node share the budget', async () => {
    const [one, two] = await startNodes(2, {
      RATE_LIMIT_BURST: '3',
      RATE_LIMIT_PER_SECOND: '0.001',
    });
    const alice = await on(one, { username: 'alice' });
    const aliceThere = await resume(two, alice.session);
    const bob = await on(two, { username: 'bob' });
    const to = bob.session.userID;
    const sent = await Promise.all(
      ['a', 'b', 'c'].map((content) => alice.client.send({ content, to })),
    );
    expect(sent.map((ack) => ack.ok)).toEqual([true, true, true]);
    expect(await aliceThere.client.send({ content: 'd', to })).toEqual({
      ok: false,
      error: ErrorCode.RateLimited,
    });
    // Another user's budget is their own, on either node.
    expect(
      (await bob.client.send({ content: 'hi', to: alice.session.userID })).ok,
    ).toBe(true);
  });

  it('starts at most NEW_SESSIONS_PER_MINUTE new users per address across nodes', async () => {
    const [one, two] = await startNodes(2, { NEW_SESSIONS_PER_MINUTE: '2' });
    await on(one, { username: 'alice' });
    await on(two, { username: 'bob' });
    for (const node of [one, two])
      expect(
        (await pool.refused({ username: 'carol' }, node.url)).message,
      ).toBe(ErrorCode.RateLimited);
  });

  adapterIt(
    'sends a node only the broadcasts for rooms it has sockets in (a channel per room)',
    async () => {
      const [one, two, idle] = await startNodes(3);
      // Every broadcast each node's adapter takes in from Redis.
      const received = new Map<TestServer, string[]>();
      for (const node of [one, two, idle]) {
        const adapter = node.io.of('/').adapter as unknown as {
          onMessage(message: { type: number; data?: unknown }): void;
        };
        const onMessage = adapter.onMessage.bind(adapter);
        received.set(node, []);
        adapter.onMessage = (message) => {
          if (message.type === MessageType.BROADCAST) {
            const { packet } = message.data as { packet: { data: [string] } };
            received.get(node)?.push(packet.data[0]);
          }
          onMessage(message);
        };
      }
      const alice = await on(one, { username: 'alice' });
      const bob = await on(two, { username: 'bob' });
      const sent: Message[] = [];
      for (let i = 0; i < 5; i++) {
        const ack = await alice.client.send({
          content: `m${i}`,
          to: bob.session.userID,
        });
        if (!ack.ok) throw new Error(ack.error);
        sent.push(ack.message);
      }
      await eventually(
        () => bob.client.all('private message').length === sent.length,
        'the messages on the other node',
      );
      expect(bob.client.all('private message')).toEqual(sent);
      // Positive control: `two` took in the messages (and alice's arrival) from Redis...
      expect(
        received.get(two)?.filter((e) => e === ChatEvent.PrivateMessage),
      ).toHaveLength(sent.length);
      await settle();
      // ...`idle`, without a socket, took in nothing at all.
      expect(received.get(idle)).toEqual([]);
    },
  );

  it('delivers a broadcast to several rooms once to a socket in more than one of them', async () => {
    const [one, two] = await startNodes(2);
    // A paged client whose whole directory fit in its first page is in the room of everyone and in
    // each listed user's watch room: an arrival goes to both.
    const ann = await on(one, { username: 'ann' });
    const me = await on(two, { username: 'me', directory: 'paged' });
    const page = await me.client.fetchUsers({});
    if (!page.ok) throw new Error(page.error);
    expect(page.next).toBeUndefined();
    expect(me.client.socket.connected).toBe(true);
    ann.client.close();
    await me.client.waitFor(
      'user disconnected',
      (id) => id === ann.session.userID,
    );
    const annAgain = await resume(one, ann.session);
    await me.client.waitFor(
      'user connected',
      (u) => u.userID === annAgain.session.userID,
    );
    await settle();
    expect(disconnections(me, ann)).toHaveLength(1);
    expect(
      me.client
        .all('user connected')
        .filter((u) => u.userID === ann.session.userID),
    ).toHaveLength(1);
  });

  it('announces a user offline exactly once, on every node, when their last tab on any node closes', async () => {
    const [one, two, three] = await startNodes(3);
    const observers = [
      await on(one, { username: 'obs1' }),
      await on(two, { username: 'obs2' }),
      await on(three, { username: 'obs3' }),
    ];
    const bob = await on(one, { username: 'bob' });
    const tabs = [
      bob,
      await resume(two, bob.session),
      await resume(three, bob.session),
    ];

    tabs[0].client.close();
    tabs[1].client.close();
    await Promise.all([
      tabs[0].client.disconnected(),
      tabs[1].client.disconnected(),
    ]);
    // Control: the last tab still talks to every observer after the others closed.
    for (const observer of observers) {
      const ack = await tabs[2].client.send({
        content: 'still here',
        to: observer.session.userID,
      });
      expect(ack.ok).toBe(true);
      await observer.client.waitFor('private message');
    }
    await settle();
    for (const observer of observers)
      expect(disconnections(observer, bob)).toEqual([]);
    const meanwhile = await on(two, { username: 'dave' });
    expect(presenceOf(meanwhile.users)['bob']).toBe(true);

    tabs[2].client.close();
    for (const observer of observers)
      await observer.client.waitFor(
        'user disconnected',
        (id) => id === bob.session.userID,
      );
    await settle();
    for (const observer of observers)
      expect(disconnections(observer, bob)).toHaveLength(1);
    const later = await on(three, { username: 'erin' });
    expect(presenceOf(later.users)['bob']).toBe(false);
  });

  it('tells the watchers of a pruned user on every node, once, that the user is forgotten', async () => {
    const clock = new ManualClock();
    const [one, two] = await startNodes(2, { SESSION_TTL: '1h' }, { clock });
    const alice = await on(one, { username: 'alice' });
    const bob = await on(one, { username: 'bob' });
    const dave = await on(two, { username: 'dave', directory: 'paged' });
    expect(
      (await dave.client.fetchUsers({ userIDs: [alice.session.userID] })).ok,
    ).toBe(true);
    const aliceWatchers = () =>
      two.io.sockets.adapter.rooms.get(watchRoom(alice.session.userID));
    expect(aliceWatchers()?.size).toBe(1);
    alice.client.close();
    await eventually(
      async () =>
        (await two.app.get(SessionStore).findSession(alice.session.sessionID))
          ?.connected === false,
      'alice stored offline',
    );
    clock.advance(HOUR);

    // Both nodes prune at once; one of them deletes the session and tells everyone.
    const pruned = await Promise.all(
      [one, two].map((node) => node.app.get(SessionPruner).prune()),
    );
    expect(pruned.sort()).toEqual([0, 1]);
    const forgotten = { userID: alice.session.userID };
    for (const watcher of [bob, dave])
      expect(await watcher.client.waitFor(ChatEvent.UserForgotten)).toEqual(
        forgotten,
      );
    await settle();
    for (const watcher of [bob, dave])
      expect(watcher.client.all(ChatEvent.UserForgotten)).toEqual([forgotten]);
    // Whichever node pruned, dave's node dropped the room of alice's watchers.
    await eventually(
      () => aliceWatchers() === undefined,
      "alice's watch room gone on dave's node",
    );
  });

  it('announces once when tabs on several nodes close at the same moment', async () => {
    const [one, two, three] = await startNodes(3);
    const observer = await on(one, { username: 'observer' });
    for (let round = 0; round < 5; round++) {
      const user = await on(one, { username: `user${round}` });
      const tabs = [
        user,
        await resume(two, user.session),
        await resume(three, user.session),
      ];
      for (const tab of tabs) tab.client.close();
      await observer.client.waitFor(
        'user disconnected',
        (id) => id === user.session.userID,
      );
    }
    await settle();
    const ids = observer.client.all('user disconnected');
    expect(new Set(ids).size).toBe(5);
    expect(ids).toHaveLength(5);
  });

  it('keeps a user online who reloads onto another node: the last word others hear is right', async () => {
    const [one, two] = await startNodes(2);
    const observer = await on(one, { username: 'observer' });
    let tab = await on(one, { username: 'frank' });
    const frank = tab.session;
    for (let round = 0; round < 6; round++) {
      // The old tab closes while the new one opens, on the other node.
      tab.client.close();
      tab = await resume(round % 2 ? one : two, frank);
    }
    const lastWord = () => {
      const heard = observer.client.received.filter(
        (r) =>
          (r.event === 'user disconnected' && r.payload === frank.userID) ||
          (r.event === 'user connected' &&
            (r.payload as UserView).userID === frank.userID),
      );
      return heard.at(-1)?.event;
    };
    await eventually(
      () => lastWord() === 'user connected',
      'frank shown online',
    );
    await settle();
    expect(lastWord()).toBe('user connected');
    const witness = await on(two, { username: 'witness' });
    expect(presenceOf(witness.users)['frank']).toBe(true);
  });

  it("shows a dead node's users offline once its heartbeat expires, but not those who reconnected elsewhere", async () => {
    const [one, two, three] = await startNodes(3, {
      PRESENCE_NODE_TIMEOUT: '2s',
    });
    const observer = await on(one, { username: 'observer' });
    const watcher = await on(two, { username: 'watcher' });
    const dave = await on(three, { username: 'dave' });
    const erin = await on(three, { username: 'erin' });
    const gina = await on(three, { username: 'gina' });
    await resume(one, gina.session);
    const deadID = (three.app.get(PresenceStore) as RedisPresenceStore).nodeID;
    // paul's last tab closes on the doomed node, which takes him offline but dies before telling.
    const paul = await on(three, { username: 'paul' });
    const presence = three.app.get(PresenceStore);
    const disconnect = presence.disconnect.bind(presence);
    presence.disconnect = async (userID) => {
      await disconnect(userID);
      return false;
    };
    paul.client.close();
    await eventually(
      async () => !(await presence.isOnline(paul.session.userID)),
      'paul taken offline',
    );

    const killedAt = Date.now();
    await kill(three);
    // erin's client reconnects to another node, as a load balancer would send it.
    await resume(two, erin.session);

    for (const o of [observer, watcher])
      await o.client.waitFor(
        'user disconnected',
        (id) => id === dave.session.userID,
        5000,
      );
    // PRESENCE_NODE_TIMEOUT + a sweep interval, and some slack for a busy machine.
    expect(Date.now() - killedAt).toBeLessThan(4000);
    await settle();
    for (const o of [observer, watcher])
      await o.client.waitFor(
        'user disconnected',
        (id) => id === paul.session.userID,
        3000,
      );
    for (const o of [observer, watcher]) {
      expect(disconnections(o, dave)).toHaveLength(1);
      expect(disconnections(o, paul)).toHaveLength(1);
      expect(disconnections(o, erin)).toEqual([]);
      expect(disconnections(o, gina)).toEqual([]);
    }
    const fresh = await on(one, { username: 'fresh' });
    expect(presenceOf(fresh.users)).toMatchObject({
      dave: false,
      paul: false,
      erin: true,
      gina: true,
      observer: true,
    });
    // Last seen at the dead node's last heartbeat (every 2/3 s here), not when it was swept.
    const daveSeen = Date.parse(
      fresh.users.find((u) => u.userID === dave.session.userID)?.lastSeen ?? '',
    );
    expect(daveSeen).toBeLessThanOrEqual(killedAt + 50);
    expect(daveSeen).toBeGreaterThan(killedAt - 2000);
    // The dead node is forgotten by the shared state.
    const client = one.app.get(RedisConnection).client;
    expect(
      await client.sismember(new RedisKeys(prefix).presenceNodes, deadID),
    ).toBe(0);
  });

  it('leaves cleanly on shutdown: its users shown offline unless they have a tab elsewhere; Redis clients closed', async () => {
    const [one, two] = await startNodes(2);
    const observer = await on(one, { username: 'observer' });
    const hank = await on(two, { username: 'hank' });
    const ivy = await on(two, { username: 'ivy' });
    await resume(one, ivy.session);
    const connection = two.app.get(RedisConnection);
    const nodeID = (two.app.get(PresenceStore) as RedisPresenceStore).nodeID;

    await two.app.close();
    nodes = [one];
    await observer.client.waitFor(
      'user disconnected',
      (id) => id === hank.session.userID,
    );
    await settle();
    expect(disconnections(observer, hank)).toHaveLength(1);
    expect(disconnections(observer, ivy)).toEqual([]);
    expect(connection.client.status).toBe('end');
    const keys = new RedisKeys(prefix);
    const client = one.app.get(RedisConnection).client;
    expect(
      await client.exists(keys.heartbeat(nodeID), keys.nodeUsers(nodeID)),
    ).toBe(0);
    expect(await client.sismember(keys.presenceNodes, nodeID)).toBe(0);
    expect(two.logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('pages the directory of every node, and tells paged clients about watched users on any node', async () => {
    const [one, two] = await startNodes(2);
    const observer = await on(one, { username: 'observer' });
    const ann = await on(two, { username: 'ann' });
    const bea = await on(two, { username: 'bea' });
    const me = await on(one, { username: 'me', directory: 'paged' });
    const page = await me.client.fetchUsers({ limit: 2 });
    if (!page.ok) throw new Error(page.error);
    expect(page.users.map((u) => u.username)).toEqual(['ann', 'bea']);
    expect(page.next).toBeDefined();

    // bea (watched, on the other node) leaves; a newcomer there (not watched) arrives.
    const newcomer = await on(two, { username: 'newcomer' });
    bea.client.close();
    await me.client.waitFor(
      'user disconnected',
      (id) => id === bea.session.userID,
    );
    await observer.client.waitFor(
      'user connected',
      (u) => u.userID === newcomer.session.userID,
    );
    await settle();
    expect(
      me.client
        .all('user connected')
        .filter((u) => u.userID === newcomer.session.userID),
    ).toEqual([]);
    expect(ann.client.all('user connected').map((u) => u.username)).toContain(
      'me',
    );
  });
}
