import { chatMessage } from '../testing/chat-fixtures';
import { newerId, newestFromThem, unreadCount } from './unread';

describe('unread', () => {
  const theirs = [
    chatMessage('a', false, { id: 'm1' }),
    chatMessage('b', false, { id: 'm2' }),
    chatMessage('mine', true, { id: 'm3' }),
    chatMessage('c', false, { id: 'm4' }),
    chatMessage('sending', true, { id: 'local', pending: true }),
  ];

  it('picks the newer id, either absent', () => {
    expect(newerId('m1', 'm2')).toBe('m2');
    expect(newerId(undefined, 'm2')).toBe('m2');
    expect(newerId('m1', undefined)).toBe('m1');
  });

  it('finds their newest stored message', () => {
    expect(newestFromThem(theirs)).toBe('m4');
    expect(newestFromThem(theirs.slice(2))).toBe('m4');
    expect(newestFromThem([theirs[2]])).toBeUndefined();
  });

  it('counts their messages after the marker where everything after it is held', () => {
    const held = { messages: theirs, hasMoreMessages: false };
    expect(unreadCount(held, undefined)).toBe(3);
    expect(unreadCount(held, { read: 'm1' })).toBe(2);
    expect(unreadCount(held, { read: 'm4', unread: 5 })).toBe(0);
    const paged = { messages: theirs, hasMoreMessages: true };
    expect(unreadCount(paged, { read: 'm1', unread: 9 })).toBe(2);
  });

  it('takes the server count where unread messages lie beyond the pages held', () => {
    const paged = { messages: theirs, hasMoreMessages: true };
    expect(unreadCount(paged, { unread: 40 })).toBe(40);
    expect(unreadCount(paged, { read: 'm0', unread: 40 })).toBe(40);
    expect(unreadCount(paged, { read: 'm0' })).toBe(3);
  });
});
