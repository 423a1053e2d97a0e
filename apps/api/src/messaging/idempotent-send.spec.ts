import { ErrorCode, type Message } from '@chat/contracts';
import {
  ClientPool,
  startServer,
  type ConnectedUser,
  type TestServer,
} from '../testing/chat-test-kit';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

// `private message` sent again with the same clientMessageId, against the real app.
describe('ChatGateway: private messages', () => {
  let server: TestServer;
  const pool = new ClientPool(() => server.url);
  let alice: ConnectedUser;
  let bob: ConnectedUser;

  beforeEach(async () => {
    server = await startServer();
    alice = await pool.connect({ username: 'alice' });
    bob = await pool.connect({ username: 'bob' });
  });

  afterEach(async () => {
    // Whatever a test sent, Nest's `exception` event never reached anyone.
    expect(pool.allReceived.filter((r) => r.event === 'exception')).toEqual([]);
    pool.closeAll();
    await server.app.close();
  });

  const tab = (user: ConnectedUser) =>
    pool.connect({ sessionID: user.session.sessionID });

  describe('sending again with a clientMessageId', () => {
    const contents = (user: ConnectedUser) =>
      user.client.all('private message').map((m) => m.content);
    /** A different message afterwards, once it has arrived: whatever a repeat sent came before. */
    const control = async (
      from: ConnectedUser,
      to: ConnectedUser,
      ...observers: ConnectedUser[]
    ) => {
      const ack = await from.client.send({
        content: 'control',
        to: to.session.userID,
      });
      if (!ack.ok) throw new Error(`refused: ${ack.error}`);
      for (const observer of [to, ...observers])
        await observer.client.waitFor(
          'private message',
          (m) => m.id === ack.message.id,
        );
    };
    const conversationOf =
      (users: { userID: string; messages: Message[] }[]) => (userID: string) =>
        users.find((u) => u.userID === userID)?.messages.map((m) => m.content);

    it('acks a repeat with the message stored first and delivers it once, to the recipient and the other tab', async () => {
      const alice2 = await tab(alice);
      const payload = {
        content: 'once',
        to: bob.session.userID,
        clientMessageId: 'c-1',
      };
      const first = await alice.client.send(payload);
      if (!first.ok) throw new Error(`refused: ${first.error}`);
      expect(await alice.client.send(payload)).toEqual(first);
      await control(alice, bob, alice2);
      expect(contents(bob)).toEqual(['once', 'control']);
      expect(contents(alice2)).toEqual(['once', 'control']);
      expect(contents(alice)).toEqual([]);
      expect(bob.client.all('private message')[0]).toEqual(first.message);
    });

    it('hands the clientMessageId out with the message (ack, events, replay, fetch messages), and none without one', async () => {
      const alice2 = await tab(alice);
      const keyed = await alice.client.send({
        content: 'with a key',
        to: bob.session.userID,
        clientMessageId: 'carried',
      });
      const plain = await alice.client.send({
        content: 'without',
        to: bob.session.userID,
      });
      if (!keyed.ok || !plain.ok) throw new Error('refused');
      expect(keyed.message).toEqual({
        id: expect.stringMatching(ULID),
        content: 'with a key',
        from: alice.session.userID,
        to: bob.session.userID,
        at: expect.any(String),
        clientMessageId: 'carried',
      });
      const hasKey = (m: Message) => 'clientMessageId' in m;
      expect(hasKey(plain.message)).toBe(false);
      const both = [keyed.message, plain.message];
      for (const observer of [bob, alice2]) {
        await observer.client.waitFor(
          'private message',
          (m) => m.id === plain.message.id,
        );
        const received = observer.client.all('private message');
        expect(received).toEqual(both);
        expect(received.map(hasKey)).toEqual([true, false]);
      }
      // A repeat is answered with it too.
      expect(
        await alice.client.send({
          content: 'with a key',
          to: bob.session.userID,
          clientMessageId: 'carried',
        }),
      ).toEqual(keyed);

      const replayed = (await tab(alice)).users.find(
        (u) => u.userID === bob.session.userID,
      )?.messages;
      expect(replayed).toEqual(both);
      expect(replayed?.map(hasKey)).toEqual([true, false]);
      const page = await bob.client.fetch({
        userID: alice.session.userID,
        before: '7ZZZZZZZZZZZZZZZZZZZZZZZZZ',
      });
      if (!page.ok) throw new Error(`refused: ${page.error}`);
      expect(page.messages).toEqual(both);
      expect(page.messages.map(hasKey)).toEqual([true, false]);
    });

    it('stores and delivers once two sends of one message at the same moment', async () => {
      const payload = {
        content: 'twice at once',
        to: bob.session.userID,
        clientMessageId: 'at-once',
      };
      const [one, two] = await Promise.all([
        alice.client.send(payload),
        alice.client.send(payload),
      ]);
      expect(one.ok).toBe(true);
      expect(two).toEqual(one);
      await control(alice, bob);
      expect(contents(bob)).toEqual(['twice at once', 'control']);
    });

    it('acks a repeat after the sender reconnects with the same message, delivers nothing new, and keeps one copy in history', async () => {
      const payload = {
        content: 'before the drop',
        to: bob.session.userID,
        clientMessageId: 'across-reconnect',
      };
      const first = await alice.client.send(payload);
      if (!first.ok) throw new Error(`refused: ${first.error}`);
      alice.client.close();
      const back = await tab(alice);
      expect(await back.client.send(payload)).toEqual(first);
      await control(back, bob);
      expect(contents(bob)).toEqual(['before the drop', 'control']);

      expect(conversationOf(back.users)(bob.session.userID)).toEqual([
        'before the drop',
      ]);
      const bobAgain = await tab(bob);
      expect(conversationOf(bobAgain.users)(alice.session.userID)).toEqual([
        'before the drop',
        'control',
      ]);
      const page = await bob.client.fetch({
        userID: alice.session.userID,
        before: '7ZZZZZZZZZZZZZZZZZZZZZZZZZ',
      });
      expect(page).toMatchObject({
        ok: true,
        messages: [first.message, { content: 'control' }],
        hasMore: false,
      });
    });

    it('answers a repeat with other content or another recipient with the original, and delivers nothing', async () => {
      const carol = await pool.connect({ username: 'carol' });
      const first = await alice.client.send({
        content: 'original',
        to: bob.session.userID,
        clientMessageId: 'key',
      });
      expect(
        await alice.client.send({
          content: 'changed',
          to: carol.session.userID,
          clientMessageId: 'key',
        }),
      ).toEqual(first);
      await control(alice, carol);
      await control(alice, bob);
      expect(contents(carol)).toEqual(['control']);
      expect(contents(bob)).toEqual(['original', 'control']);
    });

    it("keeps two senders' equal clientMessageIds apart", async () => {
      const fromAlice = await alice.client.send({
        content: 'from alice',
        to: bob.session.userID,
        clientMessageId: 'same',
      });
      const fromBob = await bob.client.send({
        content: 'from bob',
        to: alice.session.userID,
        clientMessageId: 'same',
      });
      if (!fromAlice.ok || !fromBob.ok) throw new Error('refused');
      expect(fromBob.message.id).not.toBe(fromAlice.message.id);
      expect(await bob.client.waitFor('private message')).toEqual(
        fromAlice.message,
      );
      expect(await alice.client.waitFor('private message')).toEqual(
        fromBob.message,
      );
    });

    it.each([
      ['empty', ''],
      ['a number', 7],
      ['null', null],
      ['with a space', 'a b'],
      ['65 characters long', 'x'.repeat(65)],
    ])(
      'answers a clientMessageId %s with "invalid payload" and stores nothing',
      async (_label, clientMessageId) => {
        expect(
          await alice.client.send({
            content: 'bad key',
            to: bob.session.userID,
            clientMessageId,
          }),
        ).toEqual({ ok: false, error: ErrorCode.InvalidPayload });
        await control(alice, bob);
        expect(contents(bob)).toEqual(['control']);
        expect(
          conversationOf((await tab(bob)).users)(alice.session.userID),
        ).toEqual(['control']);
      },
    );
  });
});
