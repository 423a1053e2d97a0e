import { Logger } from '@nestjs/common';
import type { Message } from '@chat/contracts';
import { eventually } from '../testing/chat-test-kit';
import { ManualClock } from '../testing/manual-clock';
import { TempDir } from '../testing/temp-dir';
import { SessionPruner } from './session-pruner';
import { MemoryMessageStore } from '../messaging/stores/memory/memory-message.store';
import { MemorySessionStore } from './stores/memory/memory-session.store';
import type { MessageStore } from '../messaging/stores/message.store';
import type { SessionStore, StoredSession } from './stores/session.store';
import { SqliteDatabase } from '../shared/sqlite/sqlite-database';
import { SqliteMessageStore } from '../messaging/stores/sqlite/sqlite-message.store';
import { SqliteSessionStore } from './stores/sqlite/sqlite-session.store';
import type { ConversationStateStore } from '../conversation-state/stores/conversation-state.store';
import { MemoryConversationStateStore } from '../conversation-state/stores/memory/memory-conversation-state.store';
import { SqliteConversationStateStore } from '../conversation-state/stores/sqlite/sqlite-conversation-state.store';

const TTL = 3_600_000;
const AFTER_ALL = '7ZZZZZZZZZZZZZZZZZZZZZZZZZ';

interface Stores {
  sessions: SessionStore;
  messages: MessageStore;
  state: ConversationStateStore;
  close: () => void;
}

const implementations: [string, (clock: ManualClock) => Stores][] = [
  [
    'memory',
    (clock) => {
      const messages = new MemoryMessageStore();
      return {
        sessions: new MemorySessionStore({ ttlMs: TTL, clock }),
        messages,
        state: new MemoryConversationStateStore(messages),
        close: () => undefined,
      };
    },
  ],
  [
    'sqlite',
    (clock) => {
      const database = SqliteDatabase.open(dir.file('pruner'));
      const messages = new SqliteMessageStore(database);
      return {
        sessions: new SqliteSessionStore(database, { ttlMs: TTL, clock }),
        messages,
        state: new SqliteConversationStateStore(database, messages),
        close: () => database.close(),
      };
    },
  ],
];

let dir: TempDir;
beforeAll(() => {
  dir = new TempDir();
  Logger.overrideLogger(false);
});
afterAll(() => dir.remove());

describe.each(implementations)('SessionPruner (%s stores)', (_name, create) => {
  let clock: ManualClock;
  let stores: Stores;
  let pruner: SessionPruner | undefined;
  let seq = 0;

  beforeEach(() => {
    clock = new ManualClock();
    stores = create(clock);
  });

  afterEach(async () => {
    await pruner?.onModuleDestroy();
    pruner = undefined;
    stores.close();
  });

  const newPruner = (batchSize = 500, intervalMs = 3_600_000) =>
    (pruner = new SessionPruner(
      stores.sessions,
      stores.messages,
      stores.state,
      {
        batchSize,
        intervalMs,
      },
    ));
  const user = async (name: string, connected: boolean) => {
    const session: StoredSession = {
      sessionID: `secret-of-${name}`,
      userID: name,
      username: name,
      connected,
      lastSeen: clock.now(),
    };
    await stores.sessions.saveSession(session);
    return session;
  };
  const say = async (from: string, to: string, count = 1) => {
    for (let i = 0; i < count; i++) {
      seq += 1;
      const message: Message = {
        id: `01JZ${String(seq).padStart(22, '0')}`,
        content: `${from}→${to} ${seq}`,
        from,
        to,
        at: new Date(clock.now()).toISOString(),
      };
      await stores.messages.saveMessage(message);
    }
  };
  const conversation = async (a: string, b: string) =>
    (await stores.messages.findMessagesBefore(a, b, AFTER_ALL, 1000)).messages
      .length;

  it("forgets the markers an expired user kept and the markers kept about them, and no one else's", async () => {
    await user('alice', false);
    await user('bob', true);
    await user('carol', true);
    await say('alice', 'bob', 2);
    await say('bob', 'alice');
    await say('carol', 'bob');
    await say('bob', 'carol');
    /** The id of the last message from `from` to `to`. */
    const last = async (from: string, to: string) =>
      (
        await stores.messages.findMessagesBefore(from, to, AFTER_ALL, 10)
      ).messages
        .filter((m) => m.from === from)
        .at(-1)?.id;
    const read = async (reader: string, peer: string) =>
      stores.state.updateMarkers({
        reader,
        peer,
        read: await last(peer, reader),
        publicRead: true,
      });
    await read('bob', 'alice');
    await read('alice', 'bob');
    await read('bob', 'carol');
    await read('carol', 'bob');
    clock.advance(TTL);

    expect(await newPruner(1).prune()).toBe(1);

    expect(await stores.state.findStates('bob', ['alice', 'carol'])).toEqual([
      {
        peerID: 'carol',
        read: await last('carol', 'bob'),
        unread: 0,
        theirDelivered: await last('bob', 'carol'),
        theirPublicRead: await last('bob', 'carol'),
      },
    ]);
    expect(await stores.state.deleteUserMarkers('alice', 1000)).toBe(true);
    expect(await stores.state.findStates('alice', ['bob'])).toEqual([]);
  });

  it('forgets expired sessions with their conversations, and keeps everyone else', async () => {
    await user('alice', false);
    await user('bob', false);
    await user('carol', true);
    await say('alice', 'bob', 3);
    await say('carol', 'alice', 2);
    await say('alice', 'alice');
    await say('bob', 'carol', 4);
    clock.advance(TTL / 2);
    await user('bob', false); // seen again
    clock.advance(TTL / 2);

    expect(await newPruner().prune()).toBe(1);

    expect(await stores.sessions.findExpired(10)).toEqual([]);
    expect(
      (await stores.sessions.findAllSessions()).map((s) => s.userID),
    ).toEqual(['bob', 'carol']);
    // Even if alice came back with a new session, nothing of hers is left.
    expect(await stores.messages.findRecentConversations('alice', 10)).toEqual(
      [],
    );
    expect(await conversation('bob', 'alice')).toBe(0);
    expect(await conversation('carol', 'alice')).toBe(0);
    expect(await conversation('bob', 'carol')).toBe(4);
    expect(
      (await stores.messages.findRecentConversations('carol', 10)).map(
        (c) => c.peerID,
      ),
    ).toEqual(['bob']);
  });

  it('does nothing before the TTL, and never touches connected sessions', async () => {
    await user('alice', false);
    await user('carol', true);
    await say('alice', 'carol', 2);
    clock.advance(TTL - 1);
    expect(await newPruner().prune()).toBe(0);
    clock.advance(100 * TTL);
    await user('alice', true);
    expect(await pruner?.prune()).toBe(0);
    expect(await conversation('alice', 'carol')).toBe(2);
  });

  it('works in small steps, letting the event loop run between them', async () => {
    for (const name of ['u1', 'u2', 'u3']) await user(name, false);
    await user('keeper', true);
    await say('u1', 'keeper', 25);
    await say('u2', 'u3', 25);
    clock.advance(TTL);

    // Count event-loop turns that happen while the pruner runs.
    let turns = 0;
    let counting = true;
    const tick = () => {
      turns += 1;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const forgotten = await newPruner(4).prune();
    counting = false;

    expect(forgotten).toBe(3);
    // 50 messages 4 at a time, and 3 sessions: well over a dozen steps, each after a turn.
    expect(turns).toBeGreaterThan(12);
    expect(await stores.sessions.findAllSessions()).toHaveLength(1);
    expect(await stores.messages.findRecentConversations('keeper', 10)).toEqual(
      [],
    );
  });

  it('joins a run in progress instead of starting another', async () => {
    await user('alice', false);
    await say('alice', 'alice', 10);
    clock.advance(TTL);
    const p = newPruner(2);
    const [first, second] = await Promise.all([p.prune(), p.prune()]);
    expect(first).toBe(1);
    expect(second).toBe(1);
  });

  it('stops between steps on shutdown; the next run finishes the job', async () => {
    await user('alice', false);
    await say('alice', 'bob', 30);
    clock.advance(TTL);
    const p = newPruner(2);
    const run = p.prune();
    await new Promise((resolve) => setImmediate(resolve));
    await p.onModuleDestroy();
    expect(await run).toBe(0);
    // Interrupted: the session is still there (expired, hidden), some messages too.
    expect(await stores.sessions.findExpired(10)).toHaveLength(1);
    expect(await conversation('bob', 'alice')).toBeGreaterThan(0);
    expect(await newPruner(2).prune()).toBe(1);
    expect(await conversation('bob', 'alice')).toBe(0);
  });

  it('runs on its own, every interval, once started, and no more after shutdown', async () => {
    await user('alice', false);
    await say('alice', 'bob', 3);
    const p = newPruner(500, 20);
    p.onApplicationBootstrap();
    // The first run (at start) found nothing expired yet.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await stores.sessions.findExpired(10)).toHaveLength(0);
    clock.advance(TTL);
    await eventually(
      async () => (await stores.sessions.findExpired(10)).length === 0,
      'the interval run',
    );
    expect(await conversation('bob', 'alice')).toBe(0);

    await p.onModuleDestroy();
    await user('bob', false);
    clock.advance(TTL);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await stores.sessions.findExpired(10)).toHaveLength(1);
  });
});
