import { TestBed } from '@angular/core/testing';
import {
  ChatEvent,
  ErrorCode,
  type Message,
  type UserView,
} from '@chat/contracts';
import { type KeyValueStorage, SESSION_STORAGE } from '../core/web-storage';
import type { ConversationsStore } from '../conversations/conversations.store';
import { createChat } from '../testing/chat-harness';
import type { FakeChatSocket } from '../testing/fake-chat-socket';
import { SAVED_SENDS_KEY, parseSavedSends } from './saved-sends';

const ALICE = {
  sessionID: 'sessAlice0123456789',
  userID: 'uAlice',
  username: 'alice',
};

/** A tab's sessionStorage: survives the "reloads" below (new stores over the same instance). */
class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/** Storage the browser denies or that is full: every call throws. */
class ThrowingStorage implements KeyValueStorage {
  getItem(): string | null {
    throw new DOMException('denied', 'SecurityError');
  }
  setItem(): void {
    throw new DOMException('full', 'QuotaExceededError');
  }
  removeItem(): void {
    throw new DOMException('denied', 'SecurityError');
  }
}

const view = (userID: string, username: string, messages: Message[] = []) =>
  ({ userID, username, connected: true, messages }) satisfies UserView;

let seq = 0;
const stored = (to: string, content: string, clientMessageId: string) => ({
  id: `m${String(++seq).padStart(4, '0')}`,
  from: ALICE.userID,
  to,
  content,
  at: new Date(2024, 0, 1, 12, 0, seq).toISOString(),
  clientMessageId,
});

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** A page load of the app over `storage` (localStorage is jsdom's: it holds the session). */
function open(storage: KeyValueStorage | null) {
  TestBed.resetTestingModule();
  return createChat({
    config: { sendMaxAttempts: 3 },
    providers: [{ provide: SESSION_STORAGE, useValue: storage }],
  });
}

/** The link (back) up: handshake, session, and the replay of `users`. */
function connect(
  socket: FakeChatSocket,
  users: UserView[] = [view('uBob', 'bob')],
  session = ALICE,
) {
  socket.connectOk();
  socket.serverEmit(ChatEvent.Session, session);
  socket.serverEmit(ChatEvent.Users, [
    view(session.userID, session.username),
    ...users,
  ]);
}

/** alice signs in, the link drops, and she writes `texts` to bob: all pending, none emitted. */
function writtenOffline(storage: KeyValueStorage | null, texts: string[]) {
  const env = open(storage);
  env.connection.selectUsername('alice');
  connect(env.socket);
  env.conversations.select('uBob');
  env.socket.drop();
  for (const text of texts) env.outbox.send(text);
  expect(env.socket.sent).toHaveLength(0);
  return env;
}

const payloads = (socket: FakeChatSocket) =>
  socket.sent.map(
    (sent) => sent.payload as { content: string; clientMessageId: string },
  );
const saved = (storage: MemoryStorage) =>
  parseSavedSends(storage.getItem(SAVED_SENDS_KEY));
const firstSaved = (storage: MemoryStorage) => {
  const send = saved(storage)?.sends[0];
  if (!send) throw new Error('nothing saved');
  return send;
};
const pending = (conversations: ConversationsStore, userID: string) =>
  conversations
    .users()
    .find((u) => u.userID === userID)
    ?.messages.filter((m) => m.pending)
    .map((m) => m.content);

beforeEach(() => localStorage.clear());

describe('OutboxStore: pending sends across a reload of the tab', () => {
  it('keeps pending sends in the storage, per identity, with what a resend needs', () => {
    const storage = new MemoryStorage();
    writtenOffline(storage, ['one', 'two']);
    expect(saved(storage)).toEqual({
      userID: ALICE.userID,
      sends: [
        expect.objectContaining({ to: 'uBob', toName: 'bob', content: 'one' }),
        expect.objectContaining({ to: 'uBob', toName: 'bob', content: 'two' }),
      ],
    });
    expect(saved(storage)?.sends[0]).toEqual({
      clientMessageId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      to: 'uBob',
      toName: 'bob',
      content: 'one',
      createdAt: expect.any(Number),
      attempts: 0,
    });
  });

  it('shows restored sends at once, and resends them after the replay, in order, with the same key', async () => {
    const storage = new MemoryStorage();
    const before = writtenOffline(storage, ['one', 'two']);
    const keys = saved(storage)?.sends.map((s) => s.clientMessageId);

    // Reloaded while the server is still away: "Sending…" in bob's conversation.
    const { socket, conversations } = open(storage);
    expect(before.socket.sent).toHaveLength(0);
    expect(conversations.users()).toMatchObject([
      { userID: 'uBob', username: 'bob', placeholder: false },
    ]);
    expect(pending(conversations, 'uBob')).toEqual(['one', 'two']);
    conversations.select('uBob');
    expect(conversations.selectedUser()?.messages).toMatchObject([
      { content: 'one', pending: true, fromSelf: true, from: ALICE.userID },
      { content: 'two', pending: true, fromSelf: true },
    ]);

    // Nothing goes before the replay; then each once, in order, with its key.
    socket.connectOk();
    socket.serverEmit(ChatEvent.Session, ALICE);
    expect(socket.sent).toHaveLength(0);
    socket.serverEmit(ChatEvent.Users, [
      view(ALICE.userID, 'alice'),
      view('uBob', 'bob'),
    ]);
    expect(payloads(socket).map((p) => p.content)).toEqual(['one', 'two']);
    expect(payloads(socket).map((p) => p.clientMessageId)).toEqual(keys);

    socket.sent[0].ack({
      ok: true,
      message: stored('uBob', 'one', keys?.[0] ?? ''),
    });
    await settle();
    // Settled: gone from the storage at once, the other one still there.
    expect(saved(storage)?.sends.map((s) => s.content)).toEqual(['two']);
    socket.sent[1].ack({
      ok: true,
      message: stored('uBob', 'two', keys?.[1] ?? ''),
    });
    await settle();
    expect(storage.getItem(SAVED_SENDS_KEY)).toBeNull();
    expect(pending(conversations, 'uBob')).toEqual([]);
  });

  it('takes a message written after the reload, before the server answers, behind the restored ones', () => {
    const storage = new MemoryStorage();
    writtenOffline(storage, ['before the reload']);
    const { socket, conversations, outbox } = open(storage);
    conversations.select('uBob');
    expect(outbox.send('after the reload')).toBe(true);
    expect(pending(conversations, 'uBob')).toEqual([
      'before the reload',
      'after the reload',
    ]);
    expect(saved(storage)?.sends.map((s) => s.content)).toEqual([
      'before the reload',
      'after the reload',
    ]);
    connect(socket);
    expect(payloads(socket).map((p) => p.content)).toEqual([
      'before the reload',
      'after the reload',
    ]);
  });

  it('settles, without sending again, a restored send the replay shows stored', async () => {
    const storage = new MemoryStorage();
    writtenOffline(storage, ['one', 'two']);
    const [one, two] = saved(storage)?.sends ?? [];
    const { socket, conversations } = open(storage);
    const first = stored('uBob', 'one', one.clientMessageId);
    connect(socket, [view('uBob', 'bob', [first])]);
    expect(payloads(socket)).toEqual([
      { content: 'two', to: 'uBob', clientMessageId: two.clientMessageId },
    ]);
    conversations.select('uBob');
    expect(conversations.selectedUser()?.messages).toMatchObject([
      { id: first.id, content: 'one', pending: false },
      { content: 'two', pending: true },
    ]);
    expect(saved(storage)?.sends.map((s) => s.content)).toEqual(['two']);
  });

  it('shows a restored send to someone the replay does not list, and looks them up', async () => {
    const storage = new MemoryStorage();
    writtenOffline(storage, ['to carol']);
    // Written to a user found by a search (no stored message with her yet).
    const carol = {
      ...firstSaved(storage),
      to: 'uCarol',
      toName: 'carol',
    };
    storage.setItem(
      SAVED_SENDS_KEY,
      JSON.stringify({ userID: ALICE.userID, sends: [carol] }),
    );
    const { socket, conversations } = open(storage);
    expect(conversations.users()).toMatchObject([
      { userID: 'uCarol', username: 'carol', connected: false },
    ]);
    connect(socket, [view('uBob', 'bob')]);
    expect(conversations.users().map((u) => u.username)).toEqual([
      'alice',
      'bob',
      'carol',
    ]);
    expect(pending(conversations, 'uCarol')).toEqual(['to carol']);
    expect(payloads(socket)).toEqual([
      {
        content: 'to carol',
        to: 'uCarol',
        clientMessageId: carol.clientMessageId,
      },
    ]);
    expect(socket.userFetches.map((f) => f.payload)).toContainEqual({
      userIDs: ['uCarol'],
    });
  });

  it('discards the stored sends of another identity', () => {
    const storage = new MemoryStorage();
    writtenOffline(storage, ['from the old identity']);
    // The server hands out a new identity after the reload (the old session expired).
    const { socket, conversations, lastError } = open(storage);
    connect(socket, [view('uBob', 'bob')], {
      ...ALICE,
      sessionID: 'sessNew0123456789',
      userID: 'uAlice2',
    });
    expect(socket.sent).toHaveLength(0);
    expect(pending(conversations, 'uBob')).toEqual([]);
    expect(storage.getItem(SAVED_SENDS_KEY)).toBeNull();
    expect(lastError()).toBeNull();
  });

  it('discards stored sends when no session is stored (logged out in another tab)', () => {
    const storage = new MemoryStorage();
    writtenOffline(storage, ['orphan']);
    localStorage.clear();
    const { connection, conversations } = open(storage);
    expect(connection.view()).toBe('select-username');
    expect(conversations.users()).toEqual([]);
    expect(storage.getItem(SAVED_SENDS_KEY)).toBeNull();
  });

  it('ignores malformed stored data, and drops only the sends that do not parse', () => {
    const storage = new MemoryStorage();
    writtenOffline(storage, ['good']);
    const good = firstSaved(storage);
    for (const raw of [
      '{not json',
      '[]',
      JSON.stringify({ userID: ALICE.userID, sends: 'x' }),
      JSON.stringify({ userID: 'not an id!', sends: [good] }),
    ]) {
      storage.setItem(SAVED_SENDS_KEY, raw);
      const { socket, conversations } = open(storage);
      expect(conversations.users()).toEqual([]);
      connect(socket);
      expect(socket.sent).toHaveLength(0);
    }

    const bad = [
      null,
      'text',
      { ...good, clientMessageId: 'a b' },
      { ...good, clientMessageId: undefined },
      { ...good, content: '  ' },
      { ...good, to: '' },
      { ...good, createdAt: 'yesterday' },
      { ...good, attempts: -1 },
    ];
    storage.setItem(
      SAVED_SENDS_KEY,
      JSON.stringify({
        userID: ALICE.userID,
        sends: [...bad, { ...good, toName: 42 }, good],
      }),
    );
    const { socket, conversations } = open(storage);
    // A bad name only costs the name; the same send twice is queued once.
    expect(conversations.users()).toMatchObject([
      { userID: 'uBob', placeholder: true },
    ]);
    expect(pending(conversations, 'uBob')).toEqual(['good']);
    connect(socket);
    expect(payloads(socket)).toEqual([
      { content: 'good', to: 'uBob', clientMessageId: good.clientMessageId },
    ]);
  });

  it('clears the stored sends on logout', () => {
    const storage = new MemoryStorage();
    const { connection } = writtenOffline(storage, ['never mind']);
    connection.logout();
    expect(storage.getItem(SAVED_SENDS_KEY)).toBeNull();
  });

  it('removes a refused send from the storage at once', async () => {
    const storage = new MemoryStorage();
    const { socket } = writtenOffline(storage, ['refused']);
    connect(socket);
    socket.sent[0].ack({ ok: false, error: ErrorCode.RateLimited });
    await settle();
    expect(storage.getItem(SAVED_SENDS_KEY)).toBeNull();
  });

  it('drops the restored sends to a user the server forgot, from the storage too', async () => {
    const storage = new MemoryStorage();
    writtenOffline(storage, ['to bob']);
    const bob = firstSaved(storage);
    const carol = {
      ...bob,
      clientMessageId: 'carolsKey0123456789ab',
      to: 'uCarol',
      toName: 'carol',
      content: 'to carol',
    };
    storage.setItem(
      SAVED_SENDS_KEY,
      JSON.stringify({ userID: ALICE.userID, sends: [bob, carol] }),
    );
    const { socket, lastError } = open(storage);
    connect(socket, [view('uBob', 'bob'), view('uCarol', 'carol')]);
    expect(payloads(socket).map((p) => p.content)).toEqual([
      'to bob',
      'to carol',
    ]);
    socket.serverEmit(ChatEvent.UserForgotten, { userID: 'uBob' });
    expect(saved(storage)?.sends.map((s) => s.to)).toEqual(['uCarol']);
    // The answer to the resend still on its way changes nothing.
    socket.sent[0].ack({ ok: false, error: ErrorCode.UnknownRecipient });
    await settle();
    expect(lastError()).toBeNull();

    const again = open(storage);
    expect(again.conversations.users().map((u) => u.userID)).toEqual([
      'uCarol',
    ]);
    connect(again.socket, [view('uCarol', 'carol')]);
    expect(payloads(again.socket)).toEqual([
      {
        content: 'to carol',
        clientMessageId: carol.clientMessageId,
        to: 'uCarol',
      },
    ]);
  });

  it('gives up on a restored send whose attempts ran out before the reload', () => {
    const storage = new MemoryStorage();
    writtenOffline(storage, ['tried enough']);
    const send = firstSaved(storage);
    storage.setItem(
      SAVED_SENDS_KEY,
      JSON.stringify({
        userID: ALICE.userID,
        sends: [{ ...send, attempts: 3 }],
      }),
    );
    const { socket, conversations, outbox } = open(storage);
    connect(socket);
    conversations.select('uBob');
    expect(socket.sent).toHaveLength(0);
    expect(outbox.sendFailure()).toMatchObject({
      code: ErrorCode.Unavailable,
      content: 'tried enough',
    });
    expect(storage.getItem(SAVED_SENDS_KEY)).toBeNull();
  });

  it.each([
    ['throws', new ThrowingStorage()],
    ['is unavailable', null],
  ])('sends as before when the storage %s', async (_, storage) => {
    const { socket, connection, conversations, outbox } = open(storage);
    connection.selectUsername('alice');
    connect(socket);
    conversations.select('uBob');
    expect(outbox.send('still works')).toBe(true);
    expect(pending(conversations, 'uBob')).toEqual(['still works']);
    const { clientMessageId } = payloads(socket)[0];
    socket.sent[0].ack({
      ok: true,
      message: stored('uBob', 'still works', clientMessageId),
    });
    await settle();
    expect(pending(conversations, 'uBob')).toEqual([]);
    expect(conversations.selectedUser()?.messages).toHaveLength(1);
    connection.logout();
    expect(connection.view()).toBe('select-username');
  });
});
