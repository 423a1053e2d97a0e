import { Logger } from '@nestjs/common';
import { ErrorCode, type SocketData } from '@chat/contracts';
import { EVERYONE_ROOM, watchRoom } from '../presence/presence-rooms';
import type { MemoryPresenceStore } from '../presence/stores/memory/memory-presence.store';
import type { MemorySessionStore } from '../sessions/stores/memory/memory-session.store';
import type { ManualClock } from '../testing/manual-clock';
import {
  alice,
  memoryServices,
  withAliceAndBob,
  type MemoryServices,
} from '../testing/services';
import type { DirectoryService } from './directory.service';

/** A sending socket as the transport has it: its data, and what its sends delivered (in order). */
function sendingSocket(data: SocketData) {
  const emitted: { rooms: string[]; event: string; payload: unknown }[] = [];
  return { socket: { data, emitted }, emitted };
}

// The guide's users list, on memory stores: no socket involved.
describe('DirectoryService', () => {
  let services: MemoryServices;
  let directory: DirectoryService;
  let sessions: MemorySessionStore;
  let presence: MemoryPresenceStore;
  let clock: ManualClock;

  // Store failures are logged on purpose here; keep the output clean.
  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    services = memoryServices();
    ({ directory, sessions, presence, clock } = services);
    await withAliceAndBob(services);
  });

  /** `MessagingService.send` from `socket`, its deliveries applied as the broadcaster would. */
  const sendPrivateMessage = async (
    socket: ReturnType<typeof sendingSocket>['socket'],
    payload: unknown,
  ) => {
    const { ack, deliveries } = await services.messaging.send(
      socket.data.userID,
      payload,
    );
    for (const { rooms, event, payload: sent } of deliveries)
      socket.emitted.push({ rooms, event, payload: sent });
    return ack;
  };
  describe('usersFor', () => {
    it('shows presence as the presence store has it, not as last stored in the session', async () => {
      // Bob's session says offline, alice's online: the store of live sockets decides.
      await presence.connect('bob');
      await presence.disconnect('alice');
      const users = await directory.usersFor('alice');
      expect(users.map((u) => [u.userID, u.connected])).toEqual([
        ['alice', false],
        ['bob', true],
      ]);
    });

    it('lists every user with presence and that conversation, both directions, oldest first', async () => {
      await sessions.saveSession({
        sessionID: 'c',
        userID: 'carol',
        username: 'Carol',
        connected: true,
        lastSeen: clock.now(),
      });
      await presence.connect('carol');
      const say = (from: string, to: string, content: string) =>
        sendPrivateMessage(sendingSocket({ ...alice, userID: from }).socket, {
          content,
          to,
        });
      await say('alice', 'bob', 'a1');
      await say('bob', 'alice', 'b1');
      await say('carol', 'bob', 'c1');
      await say('alice', 'alice', 'self');
      await say('alice', 'bob', 'a2');
      const users = await directory.usersFor('alice');
      expect(
        users.map((u) => [
          u.userID,
          u.username,
          u.connected,
          u.messages.map((m) => m.content),
        ]),
      ).toEqual([
        ['alice', 'Alice', true, ['self']],
        ['bob', 'Bob', false, ['a1', 'b1', 'a2']],
        ['carol', 'Carol', true, []],
      ]);
      expect(users.some((u) => 'hasMoreMessages' in u)).toBe(false);
    });

    it('keeps the last historyLimit messages of each conversation and says when there are more', async () => {
      const { socket } = sendingSocket(alice);
      for (let i = 0; i < 5; i++)
        await sendPrivateMessage(socket, {
          content: `m${i}`,
          to: 'bob',
        });
      const users = await directory.usersFor('bob');
      expect(users.find((u) => u.userID === 'alice')).toEqual({
        userID: 'alice',
        username: 'Alice',
        connected: true,
        messages: expect.any(Array),
        hasMoreMessages: true,
        unread: 5,
      });
      expect(
        users.find((u) => u.userID === 'alice')?.messages.map((m) => m.content),
      ).toEqual(['m2', 'm3', 'm4']);
    });

    it('leaves out the conversations of users whose session expired', async () => {
      await sendPrivateMessage(sendingSocket(alice).socket, {
        content: 'to bob',
        to: 'bob',
      });
      clock.advance(8 * 24 * 3600 * 1000);
      expect((await directory.usersFor('alice')).map((u) => u.userID)).toEqual([
        'alice',
      ]);
    });
  });

  describe('on connection', () => {
    it("joins its user's room, and with the guide's directory everyone's presence room", () => {
      expect(directory.roomsOnConnect(alice)).toEqual(['alice', EVERYONE_ROOM]);
      expect(
        directory.roomsOnConnect({ ...alice, directory: 'paged' }),
      ).toEqual(['alice']);
    });

    it('gives a paged socket itself and its conversations, joining their watch rooms before reading presence', async () => {
      await sessions.saveSession({
        sessionID: 'c',
        userID: 'carol',
        username: 'Carol',
        connected: false,
        lastSeen: clock.now(),
      });
      await sendPrivateMessage(sendingSocket(alice).socket, {
        content: 'hi',
        to: 'bob',
      });
      const steps: string[] = [];
      const onlineAmong = presence.onlineAmong.bind(presence);
      presence.onlineAmong = (userIDs) => {
        steps.push(`presence of ${[...userIDs].join(',')}`);
        return onlineAmong(userIDs);
      };
      const users = await directory.usersOnConnect(
        { ...alice, directory: 'paged' },
        (rooms) => void steps.push(`join ${rooms.join(',')}`),
      );
      expect(users.map((u) => [u.userID, u.messages.length])).toEqual([
        ['alice', 0],
        ['bob', 1],
      ]);
      expect(steps).toEqual([
        `join ${watchRoom('bob')}`,
        'presence of alice,bob',
      ]);
    });
  });

  describe('fetchUsers', () => {
    /** `fetch users` by alice, with the rooms it joined and when it read presence. */
    const fetchUsers = async (payload: unknown) => {
      const steps: string[] = [];
      const onlineAmong = presence.onlineAmong.bind(presence);
      presence.onlineAmong = (userIDs) => {
        steps.push('presence');
        return onlineAmong(userIDs);
      };
      const ack = await directory.fetchUsers(
        'alice',
        payload,
        (rooms) => void steps.push(...rooms.map((room) => `join ${room}`)),
      );
      return { ack, steps };
    };

    it("joins the watch rooms of the users it returns before it reads their presence, and everyone's when the first page is the whole directory", async () => {
      const { ack, steps } = await fetchUsers({});
      expect(ack).toEqual({
        ok: true,
        users: [
          { userID: 'alice', username: 'Alice', connected: true, messages: [] },
          {
            userID: 'bob',
            username: 'Bob',
            connected: false,
            messages: [],
            lastSeen: new Date(clock.now()).toISOString(),
          },
        ],
      });
      expect(steps).toEqual([
        `join ${watchRoom('alice')}`,
        `join ${watchRoom('bob')}`,
        `join ${EVERYONE_ROOM}`,
        'presence',
      ]);
    });

    it('joins only the watch rooms of a page, a search or users asked for by id', async () => {
      const page = await fetchUsers({ limit: 1 });
      expect(page.ack).toMatchObject({ ok: true, next: expect.any(String) });
      expect(page.steps).toEqual([`join ${watchRoom('alice')}`, 'presence']);
      const search = await fetchUsers({ query: 'B' });
      expect(search.steps).toEqual([`join ${watchRoom('bob')}`, 'presence']);
      const byID = await fetchUsers({ userIDs: ['bob', 'bob', 'nobody'] });
      expect(byID.ack).toMatchObject({ ok: true, users: [{ userID: 'bob' }] });
      expect(byID.steps).toEqual([`join ${watchRoom('bob')}`, 'presence']);
    });

    it('answers a bad payload with "invalid payload" and a failing join with "unavailable"', async () => {
      expect((await fetchUsers({ limit: 0 })).ack).toEqual({
        ok: false,
        error: ErrorCode.InvalidPayload,
      });
      expect(
        await directory.fetchUsers('alice', {}, () =>
          Promise.reject(new Error('gone')),
        ),
      ).toEqual({ ok: false, error: ErrorCode.Unavailable });
    });
  });
});
