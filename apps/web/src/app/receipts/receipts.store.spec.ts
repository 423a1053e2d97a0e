import { ChatEvent } from '@chat/contracts';
import { TestBed } from '@angular/core/testing';
import { message, signedIn, user, view } from '../testing/chat-harness';
import { ReceiptsStore } from './receipts.store';

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
});

describe('ReceiptsStore: what happened to my messages', () => {
  const mine1 = message('uAlice', 'uBob', 'one', 'm0201');
  const mine2 = message('uAlice', 'uBob', 'two', 'm0202');
  const withBob = (fields: object = {}) =>
    signedIn([{ ...view('uBob', 'bob', true, [mine1, mine2]), ...fields }]);

  it('takes their markers from the replay', () => {
    const { conversations } = withBob({
      theirDeliveredUpTo: 'm0202',
      theirReadUpTo: 'm0201',
    });
    expect(user(conversations, 'bob').receipts).toEqual({
      delivered: 'm0202',
      read: 'm0201',
    });
  });

  it('moves them forward with `receipt` events (a read is delivered too), never back', () => {
    const { socket, conversations } = withBob();
    socket.serverEmit(ChatEvent.Receipt, {
      userID: 'uBob',
      delivered: 'm0201',
      at: '2024-01-01T12:01:00.000Z',
    });
    expect(user(conversations, 'bob').receipts).toEqual({ delivered: 'm0201' });
    socket.serverEmit(ChatEvent.Receipt, {
      userID: 'uBob',
      read: 'm0202',
      at: '2024-01-01T12:02:00.000Z',
    });
    expect(user(conversations, 'bob').receipts).toEqual({
      delivered: 'm0202',
      read: 'm0202',
      readAt: '2024-01-01T12:02:00.000Z',
    });
    socket.serverEmit(ChatEvent.Receipt, {
      userID: 'uBob',
      delivered: 'm0201',
      read: 'm0201',
      at: '2024-01-01T12:03:00.000Z',
    });
    expect(user(conversations, 'bob').receipts.read).toBe('m0202');
    expect(user(conversations, 'bob').receipts.readAt).toBe(
      '2024-01-01T12:02:00.000Z',
    );
  });

  it('shows nobody’s reads while my own read receipts are off (delivered still)', () => {
    const { socket, conversations } = withBob({
      theirDeliveredUpTo: 'm0202',
      theirReadUpTo: 'm0202',
    });
    socket.serverEmit(ChatEvent.Settings, {
      readReceipts: false,
      typing: true,
    });
    expect(user(conversations, 'bob').receipts).toEqual({ delivered: 'm0202' });
    socket.serverEmit(ChatEvent.Settings, { readReceipts: true, typing: true });
    expect(user(conversations, 'bob').receipts.read).toBe('m0202');
  });

  it('forgets them with a forgotten user and with the identity', () => {
    const { socket, connection } = withBob({ theirDeliveredUpTo: 'm0202' });
    const receipts = TestBed.inject(ReceiptsStore);
    socket.serverEmit(ChatEvent.Receipt, {
      userID: 'uCarol',
      delivered: 'm0301',
      at: '2024-01-01T12:03:00.000Z',
    });
    socket.serverEmit(ChatEvent.UserForgotten, { userID: 'uBob' });
    expect([...receipts.markers().keys()]).toEqual(['uCarol']);
    connection.logout();
    expect(receipts.markers().size).toBe(0);
  });
});
