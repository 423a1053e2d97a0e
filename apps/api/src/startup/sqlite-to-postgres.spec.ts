import type { Message } from '@chat/contracts';
import { SqliteConversationStateStore } from '../conversation-state/stores/sqlite/sqlite-conversation-state.store';
import { PostgresConversationStateStore } from '../conversation-state/stores/postgres/postgres-conversation-state.store';
import { PostgresMessageStore } from '../messaging/stores/postgres/postgres-message.store';
import { SqliteMessageStore } from '../messaging/stores/sqlite/sqlite-message.store';
import { PostgresSessionStore } from '../sessions/stores/postgres/postgres-session.store';
import { SqliteSessionStore } from '../sessions/stores/sqlite/sqlite-session.store';
import { ManualClock } from '../testing/manual-clock';
import { usePostgres, useSqliteFiles } from '../testing/store-backends';
import {
  copySqliteToPostgres,
  TargetNotEmptyError,
} from './sqlite-to-postgres';

describe('moving a SQLite database to PostgreSQL', () => {
  const files = useSqliteFiles();
  const postgres = usePostgres();

  let seq = 0;
  const message = (from: string, to: string, clientMessageId?: string) => {
    seq += 1;
    const m: Message = {
      id: `01JZ${String(seq).padStart(22, '0')}`,
      content: `m${seq} ✓ "quoted"\nnewline`,
      from,
      to,
      at: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
    };
    if (clientMessageId !== undefined) m.clientMessageId = clientMessageId;
    return m;
  };

  it('copies sessions, settings, messages, markers and the latest id, as the stores read them', async () => {
    const clock = new ManualClock();
    const sqlite = files.open();
    const sessions = new SqliteSessionStore(sqlite, { clock });
    const messages = new SqliteMessageStore(sqlite);
    const state = new SqliteConversationStateStore(sqlite, messages);
    const users = ['carol', 'alice', 'bob', 'dave'];
    for (const [i, user] of users.entries())
      await sessions.saveSession({
        sessionID: `session-${user}`,
        userID: user,
        username: i === 0 ? 'Çarol' : user,
        connected: i % 2 === 0,
        lastSeen: clock.now() - i,
      });
    await sessions.updateSettings('bob', { readReceipts: false });
    const sent = [
      message('alice', 'bob', 'k1'),
      message('bob', 'alice'),
      message('alice', 'bob'),
      message('carol', 'carol'),
      message('dave', 'alice'),
    ];
    for (const m of sent) await messages.saveMessage(m);
    await state.updateMarkers({
      reader: 'bob',
      peer: 'alice',
      read: sent[0].id,
      publicRead: false,
    });
    // A user forgotten since: their messages are gone, their latest id is not.
    await messages.saveMessage(message('erin', 'alice'));
    while (!(await messages.deleteUserMessages('erin', 10)));
    const latest = await messages.findLatestMessageID();

    const target = await postgres.open();
    expect(await copySqliteToPostgres(sqlite, target)).toEqual({
      sessions: 4,
      messages: 5,
      conversations: 5,
      markers: 1,
    });

    const pgSessions = new PostgresSessionStore(target, { clock });
    const pgMessages = new PostgresMessageStore(target);
    const pgState = new PostgresConversationStateStore(target);
    expect(await pgSessions.findAllSessions()).toEqual(
      await sessions.findAllSessions(),
    );
    expect(await pgSessions.findDirectory({ limit: 10 })).toEqual(
      await sessions.findDirectory({ limit: 10 }),
    );
    expect(await pgSessions.findSettings(users)).toEqual(
      await sessions.findSettings(users),
    );
    const byPeer = (list: { peerID: string }[]) =>
      [...list].sort((a, b) => a.peerID.localeCompare(b.peerID));
    for (const user of users) {
      expect(byPeer(await pgMessages.findRecentConversations(user, 2))).toEqual(
        byPeer(await messages.findRecentConversations(user, 2)),
      );
      expect(byPeer(await pgState.findStates(user, users))).toEqual(
        byPeer(await state.findStates(user, users)),
      );
    }
    expect(await pgMessages.findLatestMessageID()).toBe(latest);
    // A repeat of a key used before the move is still answered with its message.
    expect(await pgMessages.saveMessage(message('alice', 'bob', 'k1'))).toEqual(
      sent[0],
    );
  });

  it('refuses a database that holds a chat already, and writes nothing', async () => {
    const sqlite = files.open();
    await new SqliteMessageStore(sqlite).saveMessage(message('a', 'b'));
    const target = await postgres.open();
    await new PostgresMessageStore(target).saveMessage(message('x', 'y'));
    await expect(copySqliteToPostgres(sqlite, target)).rejects.toThrow(
      TargetNotEmptyError,
    );
    expect(
      await new PostgresMessageStore(target).findRecentConversations('a', 10),
    ).toEqual([]);
  });
});
