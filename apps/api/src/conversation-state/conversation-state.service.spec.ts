import { Logger } from '@nestjs/common';
import { ErrorCode, type Message } from '@chat/contracts';
import {
  memoryServices,
  withAliceAndBob,
  type MemoryServices,
} from '../testing/services';
import type { ConversationStateService } from './conversation-state.service';
import { TypingLimits } from './typing-limits';

// Receipts, typing and the users fields on memory stores: what is told to whom, without sockets.
describe('ConversationStateService', () => {
  let services: MemoryServices;
  let state: ConversationStateService;
  let seq = 0;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    services = memoryServices();
    state = services.conversationState;
    await withAliceAndBob(services);
  });

  const send = async (from: string, to: string): Promise<Message> => {
    seq += 1;
    return services.messages.saveMessage({
      id: `01JZ${String(seq).padStart(22, '0')}`,
      content: `m${seq}`,
      from,
      to,
      at: new Date(0).toISOString(),
    });
  };

  describe('receipt', () => {
    it('tells the sender what moved and the reader (every tab, the sending one too) its read marker', async () => {
      const [first, second] = [
        await send('bob', 'alice'),
        await send('bob', 'alice'),
      ];
      expect(
        await state.receipt('alice', { userID: 'bob', read: first.id }),
      ).toEqual({
        ack: { ok: true },
        deliveries: [
          {
            rooms: ['bob'],
            event: 'receipt',
            payload: {
              userID: 'alice',
              delivered: first.id,
              read: first.id,
              at: new Date(services.clock.now()).toISOString(),
            },
          },
          {
            rooms: ['alice'],
            includeSender: true,
            event: 'read marker',
            payload: { userID: 'bob', read: first.id, unread: 1 },
          },
        ],
      });
      expect(
        await state.receipt('alice', { userID: 'bob', delivered: second.id }),
      ).toMatchObject({
        deliveries: [
          {
            rooms: ['bob'],
            payload: { userID: 'alice', delivered: second.id },
          },
        ],
      });
      // Behind the markers: acknowledged, nothing to tell.
      expect(
        await state.receipt('alice', { userID: 'bob', read: first.id }),
      ).toEqual({ ack: { ok: true }, deliveries: [] });
    });

    it('tells the sender no read when either of them has read receipts off', async () => {
      const message = await send('bob', 'alice');
      await services.sessions.updateSettings('bob', { readReceipts: false });
      const { deliveries } = await state.receipt('alice', {
        userID: 'bob',
        read: message.id,
      });
      expect(deliveries[0]).toMatchObject({
        event: 'receipt',
        payload: { delivered: message.id },
      });
      expect(deliveries[0].payload).not.toHaveProperty('read');
      // The public marker moved (alice shares her reads): bob sees it once he shares his.
      await services.sessions.updateSettings('bob', { readReceipts: true });
      expect(await state.fieldsFor('bob', ['alice'])).toEqual(
        new Map([
          [
            'alice',
            {
              unread: 0,
              theirDeliveredUpTo: message.id,
              theirReadUpTo: message.id,
            },
          ],
        ]),
      );
    });

    it('refuses what is not a receipt about messages from that user, telling nobody', async () => {
      const mine = await send('alice', 'bob');
      for (const payload of [
        { userID: 'bob', read: mine.id },
        { userID: 'bob' },
        { userID: 'bob', read: ['x'] },
        undefined,
      ])
        expect(await state.receipt('alice', payload)).toEqual({
          ack: { ok: false, error: ErrorCode.InvalidPayload },
          deliveries: [],
        });
    });

    it('answers unavailable when a store fails, rate limited past the bucket (5 here)', async () => {
      const message = await send('bob', 'alice');
      services.conversationStates.updateMarkers = () =>
        Promise.reject(new Error('down'));
      expect(
        (await state.receipt('alice', { userID: 'bob', read: message.id })).ack,
      ).toEqual({ ok: false, error: ErrorCode.Unavailable });
      for (let i = 0; i < 4; i++) await state.receipt('alice', {});
      expect((await state.receipt('alice', {})).ack).toEqual({
        ok: false,
        error: ErrorCode.RateLimited,
      });
    });
  });

  describe('typing', () => {
    it('goes to the recipient, not to oneself, unknown users or recipients who turned it off', async () => {
      expect(await state.typing('alice', { to: 'bob', typing: true })).toEqual([
        {
          rooms: ['bob'],
          event: 'typing',
          payload: { userID: 'alice', typing: true },
        },
      ]);
      expect(
        await state.typing('alice', { to: 'alice', typing: true }),
      ).toEqual([]);
      expect(
        await state.typing('alice', { to: 'nobody', typing: true }),
      ).toEqual([]);
      await services.sessions.updateSettings('bob', { typing: false });
      expect(await state.typing('alice', { to: 'bob', typing: false })).toEqual(
        [],
      );
    });

    it('lets the false after a forwarded true go when the sender turned typing off meanwhile', async () => {
      await state.typing('alice', { to: 'bob', typing: true });
      await services.sessions.updateSettings('alice', { typing: false });
      expect(await state.typing('alice', { to: 'bob', typing: true })).toEqual(
        [],
      );
      expect(await state.typing('alice', { to: 'bob', typing: false })).toEqual(
        [
          {
            rooms: ['bob'],
            event: 'typing',
            payload: { userID: 'alice', typing: false },
          },
        ],
      );
    });
  });

  describe('fieldsFor', () => {
    it('gives the conversation fields of the peers one has a conversation with, never of oneself', async () => {
      await send('bob', 'alice');
      await send('alice', 'alice');
      expect(
        await state.fieldsFor('alice', ['alice', 'bob', 'nobody']),
      ).toEqual(new Map([['bob', { unread: 1 }]]));
      expect(await state.fieldsFor('alice', [])).toEqual(new Map());
    });
  });
});

describe('TypingLimits', () => {
  let now = 0;
  const limits = () => new TypingLimits({ burst: 3, perSecond: 1 }, () => now);

  beforeEach(() => (now = 0));

  it('allows 2 notices at once per recipient, refilled at 2 a second', () => {
    const typing = limits();
    expect([1, 2, 3].map(() => typing.allows('alice', 'bob', true))).toEqual([
      true,
      true,
      false,
    ]);
    now += 500;
    expect(typing.allows('alice', 'bob', true)).toBe(true);
    expect(typing.allows('alice', 'bob', true)).toBe(false);
  });

  it('bounds a sender over all recipients, and always lets the false after a true go', () => {
    const typing = limits();
    expect(
      ['bob', 'carol', 'dave', 'erin'].map((to) =>
        typing.allows('alice', to, true),
      ),
    ).toEqual([true, true, true, false]);
    expect(typing.allows('alice', 'bob', false)).toBe(true);
    // Once: a second false is an ordinary notice, and the buckets are empty.
    expect(typing.allows('alice', 'bob', false)).toBe(false);
    expect(typing.allows('alice', 'erin', false)).toBe(false);
  });

  it('forgets a true after 30 s, when every receiver has dropped it long since', () => {
    const typing = limits();
    typing.allows('alice', 'bob', true);
    expect(typing.size).toBe(1);
    now += 61_000;
    typing.allows('carol', 'dave', false);
    expect(typing.size).toBe(0);
  });
});
