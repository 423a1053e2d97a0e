import { ChatEvent, ErrorCode, INVALID_USERNAME } from '@chat/contracts';
import {
  ClientPool,
  eventually,
  say,
  startServer,
  type ConnectedUser,
  type TestServer,
} from '../testing/chat-test-kit';
import { ManualClock } from '../testing/manual-clock';
import { TempDir } from '../testing/temp-dir';
import { watchRoom } from '../presence/presence-rooms';
import { SessionPruner } from './session-pruner';
import { MessageStore } from '../messaging/stores/message.store';
import { SessionStore } from './stores/session.store';

const HOUR = 3_600_000;

// SESSION_TTL=1h against the real app, on both stores, with a clock the test moves.
describe.each(['memory', 'sqlite'])(
  'ChatGateway: session expiry (%s)',
  (store) => {
    let server: TestServer;
    const pool = new ClientPool(() => server.url);
    let clock: ManualClock;
    let dir: TempDir;
    let alice: ConnectedUser;
    let bob: ConnectedUser;

    beforeEach(async () => {
      dir = new TempDir();
      clock = new ManualClock();
      server = await startServer(
        { STORE: store, SQLITE_PATH: dir.file(), SESSION_TTL: '1h' },
        { clock },
      );
      alice = await pool.connect({ username: 'alice' });
      bob = await pool.connect({ username: 'bob' });
    });

    afterEach(async () => {
      pool.closeAll();
      await server.app.close();
      dir.remove();
    });

    /** Resolves once the server has stored alice as offline (last seen now). */
    const aliceStoredOffline = () =>
      eventually(async () => {
        const session = await server.app
          .get(SessionStore)
          .findSession(alice.session.sessionID);
        return session?.connected === false;
      }, 'alice stored offline');
    const aliceLeaves = async () => {
      alice.client.close();
      await aliceStoredOffline();
    };

    it('forgets a session after SESSION_TTL of inactivity: the old sessionID no longer resumes', async () => {
      const ack = await bob.client.send({
        content: 'hi alice',
        to: alice.session.userID,
      });
      expect(ack.ok).toBe(true);
      await aliceLeaves();

      clock.advance(HOUR - 1);
      const back = await pool.connect({ sessionID: alice.session.sessionID });
      expect(back.session).toEqual(alice.session);
      back.client.close();
      await aliceStoredOffline();

      // Last seen just now: the TTL counts from the last disconnect.
      clock.advance(HOUR - 1);
      expect(
        (await pool.connect({ sessionID: alice.session.sessionID })).session,
      ).toEqual(alice.session);
    });

    it('after expiry: refuses the sessionID alone, starts afresh with a username, and lists the old user no more', async () => {
      await bob.client.send({ content: 'hi alice', to: alice.session.userID });
      await aliceLeaves();
      clock.advance(HOUR);

      const refused = await pool.refused({
        sessionID: alice.session.sessionID,
      });
      expect(refused.message).toBe(INVALID_USERNAME);

      const again = await pool.connect({
        sessionID: alice.session.sessionID,
        username: 'alice',
      });
      expect(again.session.sessionID).not.toBe(alice.session.sessionID);
      expect(again.session.userID).not.toBe(alice.session.userID);
      expect(again.session.username).toBe('alice');
      // A new user: no history, and the old alice is gone from everyone's list.
      expect(again.users.map((u) => [u.username, u.messages])).toEqual([
        ['bob', []],
        ['alice', []],
      ]);
      const bobAgain = await pool.connect({ sessionID: bob.session.sessionID });
      expect(
        bobAgain.users.map((u) => u.userID).includes(alice.session.userID),
      ).toBe(false);
      // Nor can anyone write to the forgotten user.
      expect(
        await bob.client.send({ content: 'hello?', to: alice.session.userID }),
      ).toEqual({ ok: false, error: ErrorCode.UnknownRecipient });
    });

    it('never expires a connected user', async () => {
      clock.advance(100 * HOUR);
      const tab = await pool.connect({ sessionID: bob.session.sessionID });
      expect(tab.session).toEqual(bob.session);
      expect(
        (
          await alice.client.send({
            content: 'still here?',
            to: bob.session.userID,
          })
        ).ok,
      ).toBe(true);
    });

    it('tells whoever hears about a pruned user that the user is forgotten, and nobody else', async () => {
      // bob (the guide's events) hears about everyone; a paged client only about users it was
      // given: dave asked for alice, erin did not.
      const dave = await pool.connect({ username: 'dave', directory: 'paged' });
      expect(
        (await dave.client.fetchUsers({ userIDs: [alice.session.userID] })).ok,
      ).toBe(true);
      const erin = await pool.connect({ username: 'erin', directory: 'paged' });
      const aliceWatchers = () =>
        server.io.sockets.adapter.rooms.get(watchRoom(alice.session.userID));
      expect(aliceWatchers()?.size).toBe(1);
      await aliceLeaves();
      clock.advance(HOUR);
      expect(await server.app.get(SessionPruner).prune()).toBe(1);
      // Nothing more will be said of alice: the room of her watchers is gone.
      expect(aliceWatchers()).toBeUndefined();

      const forgotten = { userID: alice.session.userID };
      expect(await bob.client.waitFor(ChatEvent.UserForgotten)).toEqual(
        forgotten,
      );
      expect(await dave.client.waitFor(ChatEvent.UserForgotten)).toEqual(
        forgotten,
      );
      // Sent after the announcement, on the same connection: erin has it, so she was never told.
      await say(bob, erin, 'after the pruning');
      await erin.client.waitFor(
        ChatEvent.PrivateMessage,
        (message) => message.content === 'after the pruning',
      );
      expect(erin.client.all(ChatEvent.UserForgotten)).toEqual([]);
      // Once: a second run has nobody left to forget.
      expect(await server.app.get(SessionPruner).prune()).toBe(0);
      expect(bob.client.all(ChatEvent.UserForgotten)).toEqual([forgotten]);
    });

    it("prunes an expired user's session and conversations from the store", async () => {
      await bob.client.send({ content: 'hi alice', to: alice.session.userID });
      await aliceLeaves();
      clock.advance(HOUR);
      expect(await server.app.get(SessionPruner).prune()).toBe(1);
      const messages = server.app.get(MessageStore);
      expect(
        await messages.findRecentConversations(bob.session.userID, 10),
      ).toEqual([]);
      expect(
        await messages.findRecentConversations(alice.session.userID, 10),
      ).toEqual([]);
    });
  },
);
