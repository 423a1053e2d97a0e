import { Logger } from '@nestjs/common';
import { ChatEvent } from '@chat/contracts';
import {
  bob,
  memoryServices,
  withAliceAndBob,
  type MemoryServices,
} from '../testing/services';
import { EVERYONE_ROOM, watchRoom } from './presence-rooms';

const toOthersOf = (userID: string) => ({
  rooms: [EVERYONE_ROOM, watchRoom(userID)],
  except: [userID],
});

// Presence decisions on memory stores, with a broadcaster that records: no socket involved.
describe('PresenceService', () => {
  let services: MemoryServices;

  // A failing announcement is logged on purpose here; keep the output clean.
  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    services = memoryServices();
    await withAliceAndBob(services);
  });

  it('counts a connection and stores the session connected; its arrival goes to whoever hears about the user', async () => {
    const { presenceService, presence, sessions } = services;
    const tab = {};
    await presenceService.connected(bob, tab);
    expect(await presence.isOnline('bob')).toBe(true);
    expect(await sessions.findSession('bob-secret')).toMatchObject({
      connected: true,
    });
    expect(presenceService.arrival(bob)).toEqual({
      rooms: [EVERYONE_ROOM, watchRoom('bob')],
      event: ChatEvent.UserConnected,
      payload: {
        userID: 'bob',
        username: 'Bob',
        connected: true,
        messages: [],
      },
    });
  });

  it("announces a user offline once their last connection goes, to everyone but the user's own sockets, and stores it", async () => {
    const { presenceService, broadcaster, sessions, clock } = services;
    const [one, two] = [{}, {}];
    await presenceService.connected(bob, one);
    await presenceService.connected(bob, two);
    await presenceService.disconnected(bob, one);
    expect(broadcaster.published).toEqual([]);
    clock.advance(1000);
    await presenceService.disconnected(bob, two);
    expect(broadcaster.published).toEqual([
      {
        ...toOthersOf('bob'),
        event: ChatEvent.UserDisconnected,
        payload: 'bob',
      },
    ]);
    expect(await sessions.findSession('bob-secret')).toMatchObject({
      connected: false,
      lastSeen: clock.now(),
    });
  });

  it('stores the user offline before anyone hears it: whoever asks then is told when they were last seen', async () => {
    const { presenceService, broadcaster, sessions, clock } = services;
    const tab = {};
    await presenceService.connected(bob, tab);
    clock.advance(1000);
    let heard: ReturnType<typeof sessions.findSession> | undefined;
    broadcaster.onPublish = () => {
      heard = sessions.findSession('bob-secret');
    };
    await presenceService.disconnected(bob, tab);
    expect(await heard).toMatchObject({
      connected: false,
      lastSeen: clock.now(),
    });
  });

  it('still announces a user offline when their session cannot be saved, then rejects', async () => {
    const { presenceService, broadcaster, sessions } = services;
    const tab = {};
    await presenceService.connected(bob, tab);
    sessions.saveSession = () => Promise.reject(new Error('disk full'));
    await expect(presenceService.disconnected(bob, tab)).rejects.toThrow(
      'disk full',
    );
    expect(broadcaster.published.map((d) => d.event)).toEqual([
      ChatEvent.UserDisconnected,
    ]);
  });

  it('uncounts only connections it counted, once each', async () => {
    const { presenceService, presence, broadcaster } = services;
    const tab = {};
    await presenceService.disconnected(bob, tab);
    await presenceService.connected(bob, tab);
    await presenceService.disconnected(bob, tab);
    await presenceService.disconnected(bob, tab);
    expect(broadcaster.published).toHaveLength(1);
    expect(await presence.isOnline('bob')).toBe(false);
  });

  it('announces again, until what it reads after an announcement is what it announced', async () => {
    const { presenceService, presence, broadcaster } = services;
    const tab = {};
    await presenceService.connected(bob, tab);
    // bob comes back on "another node" right after the first announcement, and leaves after the second.
    broadcaster.onPublish = () => {
      const round = broadcaster.published.length;
      if (round === 1) void presence.connect('bob');
      if (round === 2) void presence.disconnect('bob');
    };
    await presenceService.disconnected(bob, tab);
    expect(broadcaster.published.map((d) => d.event)).toEqual([
      ChatEvent.UserDisconnected,
      ChatEvent.UserConnected,
      ChatEvent.UserDisconnected,
    ]);
  });

  it('gives up after five rounds of a user who keeps coming and going', async () => {
    const { presenceService, presence, broadcaster } = services;
    const tab = {};
    await presenceService.connected(bob, tab);
    broadcaster.onPublish = (delivery) =>
      void (delivery.event === ChatEvent.UserDisconnected
        ? presence.connect('bob')
        : presence.disconnect('bob'));
    await presenceService.disconnected(bob, tab);
    expect(broadcaster.published).toHaveLength(5);
  });

  it('announces users found gone or back without a socket event, each from their session', async () => {
    const { presenceService, broadcaster } = services;
    await presenceService.announcePresence(['alice'], ['bob', 'forgotten']);
    // Users are announced concurrently: in no particular order.
    expect(broadcaster.published).toHaveLength(3);
    expect(broadcaster.published).toEqual(
      expect.arrayContaining([
        {
          ...toOthersOf('alice'),
          event: ChatEvent.UserConnected,
          payload: {
            userID: 'alice',
            username: 'Alice',
            connected: true,
            messages: [],
          },
        },
        {
          ...toOthersOf('bob'),
          event: ChatEvent.UserDisconnected,
          payload: 'bob',
        },
        // No session any more: still told offline, since others may show them online.
        {
          ...toOthersOf('forgotten'),
          event: ChatEvent.UserDisconnected,
          payload: 'forgotten',
        },
      ]),
    );
  });

  it('tells who hears about a forgotten user, then empties their watch room', async () => {
    const { presenceService, broadcaster } = services;
    await presenceService.announceForgotten('bob');
    expect(broadcaster.published).toEqual([
      {
        ...toOthersOf('bob'),
        event: ChatEvent.UserForgotten,
        payload: { userID: 'bob' },
      },
    ]);
    expect(broadcaster.cleared).toEqual([watchRoom('bob')]);
  });

  it('never rejects an announcement that fails, and keeps the watch room then', async () => {
    const { presenceService, broadcaster } = services;
    broadcaster.publish = () => Promise.reject(new Error('no server'));
    await expect(presenceService.announceForgotten('bob')).resolves.toBe(
      undefined,
    );
    await expect(
      presenceService.announcePresence([], ['bob']),
    ).resolves.toBeUndefined();
    expect(broadcaster.cleared).toEqual([]);
  });

  it("runs one user's tasks one at a time, and drains every tracked one", async () => {
    const { presenceService } = services;
    const order: string[] = [];
    let release: () => void = () => undefined;
    const first = presenceService.track(
      presenceService.inTurn('alice', async () => {
        await new Promise<void>((resolve) => (release = resolve));
        order.push('first');
      }),
    );
    const second = presenceService.track(
      presenceService.inTurn('alice', async () => {
        order.push('second');
      }),
    );
    const other = presenceService.inTurn('bob', async () => {
      order.push('other user');
    });
    await other;
    expect(order).toEqual(['other user']);
    let drained = false;
    const drain = presenceService.drain().then(() => (drained = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    release();
    await Promise.all([first, second, drain]);
    expect(order).toEqual(['other user', 'first', 'second']);
  });
});
