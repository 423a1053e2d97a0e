import { Logger } from '@nestjs/common';
import { ErrorCode, type Message, type SocketData } from '@chat/contracts';
import type { ManualClock } from '../testing/manual-clock';
import {
  alice,
  bob,
  memoryServices,
  withAliceAndBob,
  type MemoryServices,
} from '../testing/services';
import type { MessagingService } from './messaging.service';
import type { MemoryMessageStore } from './stores/memory/memory-message.store';

/** A sending socket as the transport has it: its data, and what its sends delivered (in order). */
function sendingSocket(data: SocketData) {
  const emitted: { rooms: string[]; event: string; payload: unknown }[] = [];
  return { socket: { data, emitted }, emitted };
}

// Sends and history, on memory stores: deliveries are plain results, no socket involved.
describe('MessagingService', () => {
  let services: MemoryServices;
  let messaging: MessagingService;
  let messages: MemoryMessageStore;
  let clock: ManualClock;

  // Store failures are logged on purpose here; keep the output clean.
  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    services = memoryServices();
    ({ messaging, messages, clock } = services);
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
  describe('send', () => {
    it('stores first, then routes to the recipient and the sender rooms, and acks the message', async () => {
      const { socket, emitted } = sendingSocket(alice);
      const saved: { message: Message; emittedSoFar: number }[] = [];
      const save = messages.saveMessage.bind(messages);
      messages.saveMessage = async (message) => {
        saved.push({ message, emittedSoFar: emitted.length });
        return save(message);
      };
      const ack = await sendPrivateMessage(socket, {
        content: 'hi',
        to: 'bob',
        from: 'mallory',
      });
      if (!ack.ok) throw new Error(ack.error);
      expect(ack.message).toMatchObject({
        content: 'hi',
        from: 'alice',
        to: 'bob',
        at: new Date(clock.now()).toISOString(),
      });
      expect(saved).toEqual([{ message: ack.message, emittedSoFar: 0 }]);
      expect(emitted).toEqual([
        {
          rooms: ['bob', 'alice'],
          event: 'private message',
          payload: ack.message,
        },
      ]);
      expect(await messages.findRecentConversations('bob', 10)).toEqual([
        { peerID: 'alice', messages: [ack.message], hasMore: false },
      ]);
    });

    it('passes the clientMessageId to the store on the message; a repeat is acked with the stored message and emitted to nobody', async () => {
      const { socket, emitted } = sendingSocket(alice);
      const keys: (string | undefined)[] = [];
      const save = messages.saveMessage.bind(messages);
      messages.saveMessage = (message) => {
        keys.push(message.clientMessageId);
        // Absent, not undefined, without one: the guide's payload, byte for byte.
        if (message.clientMessageId === undefined)
          expect('clientMessageId' in message).toBe(false);
        return save(message);
      };
      const payload = { content: 'hi', to: 'bob', clientMessageId: 'c-1' };
      const first = await sendPrivateMessage(socket, payload);
      if (!first.ok) throw new Error(first.error);
      clock.advance(1000);
      expect(
        await sendPrivateMessage(socket, {
          ...payload,
          content: 'edited',
        }),
      ).toEqual(first);
      expect(first.message.clientMessageId).toBe('c-1');
      await sendPrivateMessage(socket, { content: 'hi', to: 'bob' });
      expect(keys).toEqual(['c-1', 'c-1', undefined]);
      expect(emitted.map((e) => e.payload)).toEqual([
        first.message,
        expect.objectContaining({ content: 'hi' }),
      ]);
      expect(
        (await messages.findRecentConversations('bob', 10))[0].messages,
      ).toHaveLength(2);
    });

    it('gives increasing ids', async () => {
      const { socket } = sendingSocket(alice);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const ack = await sendPrivateMessage(socket, {
          content: `m${i}`,
          to: 'bob',
        });
        if (ack.ok) ids.push(ack.message.id);
      }
      expect(ids).toHaveLength(5);
      expect([...ids].sort()).toEqual(ids);
    });

    it.each([
      ['invalid payload', { to: 'bob' }, ErrorCode.InvalidPayload],
      [
        'too large',
        { content: 'x'.repeat(4001), to: 'bob' },
        ErrorCode.TooLarge,
      ],
      [
        'unknown recipient',
        { content: 'hi', to: 'nobody' },
        ErrorCode.UnknownRecipient,
      ],
    ])(
      'answers %s and neither stores nor emits',
      async (_label, payload, error) => {
        const { socket, emitted } = sendingSocket(alice);
        expect(await sendPrivateMessage(socket, payload)).toEqual({
          ok: false,
          error,
        });
        expect(emitted).toEqual([]);
        expect(await messages.findRecentConversations('alice', 10)).toEqual([]);
      },
    );

    it('answers "unavailable" and emits nothing when the store fails', async () => {
      const { socket, emitted } = sendingSocket(alice);
      messages.saveMessage = () => Promise.reject(new Error('disk full'));
      expect(
        await sendPrivateMessage(socket, { content: 'hi', to: 'bob' }),
      ).toEqual({
        ok: false,
        error: ErrorCode.Unavailable,
      });
      expect(emitted).toEqual([]);
    });

    it('rate limits per sender, counting invalid attempts too', async () => {
      const { socket } = sendingSocket(alice);
      for (let i = 0; i < 4; i++) await sendPrivateMessage(socket, null);
      expect(
        (await sendPrivateMessage(socket, { content: 'hi', to: 'bob' })).ok,
      ).toBe(true);
      expect(
        await sendPrivateMessage(socket, { content: 'hi', to: 'bob' }),
      ).toEqual({
        ok: false,
        error: ErrorCode.RateLimited,
      });
      const other = sendingSocket(bob).socket;
      expect(
        (
          await sendPrivateMessage(other, {
            content: 'hi',
            to: 'alice',
          })
        ).ok,
      ).toBe(true);
    });
  });

  describe('fetchMessages', () => {
    const say = async (from: SocketData, to: string, content: string) => {
      const ack = await sendPrivateMessage(sendingSocket(from).socket, {
        content,
        to,
      });
      if (!ack.ok) throw new Error(ack.error);
      clock.advance(1000);
      return ack.message;
    };

    it("pages back through the caller's conversation, historyLimit at a time by default", async () => {
      const sent: Message[] = [];
      for (let i = 0; i < 4; i++)
        sent.push(
          await say(i % 2 ? bob : alice, i % 2 ? 'alice' : 'bob', `m${i}`),
        );
      expect(
        await messaging.fetchMessages('bob', {
          userID: 'alice',
          before: sent[3].id,
        }),
      ).toEqual({ ok: true, messages: sent.slice(0, 3), hasMore: false });
      expect(
        await messaging.fetchMessages('alice', {
          userID: 'bob',
          before: sent[3].id,
          limit: 2,
        }),
      ).toEqual({ ok: true, messages: sent.slice(1, 3), hasMore: true });
    });

    it("never reads another pair's conversation: the reader is always the caller", async () => {
      const m = await say(alice, 'bob', 'private');
      const after = `${m.id}Z`;
      expect(
        await messaging.fetchMessages('carol', {
          userID: 'bob',
          before: after,
        }),
      ).toEqual({ ok: true, messages: [], hasMore: false });
      expect(
        await messaging.fetchMessages('carol', {
          userID: 'alice',
          before: after,
        }),
      ).toEqual({ ok: true, messages: [], hasMore: false });
    });

    it.each([
      ['no payload', undefined],
      ['no cursor', { userID: 'bob' }],
      ['a zero limit', { userID: 'bob', before: 'x', limit: 0 }],
      ['a huge limit', { userID: 'bob', before: 'x', limit: 101 }],
    ])('answers %s with "invalid payload"', async (_label, payload) => {
      expect(await messaging.fetchMessages('alice', payload)).toEqual({
        ok: false,
        error: ErrorCode.InvalidPayload,
      });
    });

    it('rate limits per user, in a bucket of its own', async () => {
      const fetch = () =>
        messaging.fetchMessages('alice', { userID: 'bob', before: 'Z' });
      for (let i = 0; i < 5; i++) expect((await fetch()).ok).toBe(true);
      expect(await fetch()).toEqual({
        ok: false,
        error: ErrorCode.RateLimited,
      });
      // Sending is not affected.
      expect(
        (
          await sendPrivateMessage(sendingSocket(alice).socket, {
            content: 'hi',
            to: 'bob',
          })
        ).ok,
      ).toBe(true);
    });

    it('answers "unavailable" when the store fails', async () => {
      messages.findMessagesBefore = () => Promise.reject(new Error('down'));
      expect(
        await messaging.fetchMessages('alice', { userID: 'bob', before: 'Z' }),
      ).toEqual({ ok: false, error: ErrorCode.Unavailable });
    });
  });
});
