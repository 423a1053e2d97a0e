import { chatMessage } from '../testing/chat-fixtures';
import {
  hasUnread,
  mergeReadMarks,
  parseReadMarks,
  readMarksKey,
  serializeReadMarks,
  unreadCount,
  withoutReadMark,
} from './read-marks';

describe('read marks', () => {
  it('are keyed by identity', () => {
    expect(readMarksKey('uAlice')).not.toBe(readMarksKey('uBob'));
  });

  it('survive a round trip through storage', () => {
    const marks = new Map([
      ['uBob', 'm0002'],
      ['__proto__', 'm0003'],
    ]);
    expect(parseReadMarks(serializeReadMarks(marks))).toEqual(marks);
  });

  it.each([null, '', '{oops', '[1,2]', 'null', '"m1"', '{"uBob": 3}'])(
    'count anything unreadable (%p) as no marks',
    (raw) => {
      expect(parseReadMarks(raw).get('uBob')).toBeUndefined();
    },
  );

  it('merge to the newer mark of each conversation, unchanged when nothing is newer', () => {
    const current = new Map([
      ['uBob', 'm0005'],
      ['uCarol', 'm0001'],
    ]);
    expect(mergeReadMarks(current, new Map([['uBob', 'm0004']]))).toBe(current);
    expect(
      mergeReadMarks(
        current,
        new Map([
          ['uBob', 'm0004'],
          ['uCarol', 'm0009'],
          ['uDan', 'm0002'],
        ]),
      ),
    ).toEqual(
      new Map([
        ['uBob', 'm0005'],
        ['uCarol', 'm0009'],
        ['uDan', 'm0002'],
      ]),
    );
  });

  it('drop the mark of one conversation, unchanged when it has none', () => {
    const marks = new Map([
      ['uBob', 'm0005'],
      ['uCarol', 'm0001'],
    ]);
    expect(withoutReadMark(marks, 'uBob')).toEqual(
      new Map([['uCarol', 'm0001']]),
    );
    expect(marks.has('uBob')).toBe(true);
    expect(withoutReadMark(marks, 'uDan')).toBe(marks);
  });

  describe('unread', () => {
    const theirs = chatMessage('theirs', false, { id: 'm0010' });
    const mine = chatMessage('mine', true, { id: 'm0020' });
    const pending = chatMessage('sending', true, {
      id: 'pending-1',
      pending: true,
    });

    it('is a message from the other user newer than the mark', () => {
      expect(hasUnread([theirs, mine], 'm0009')).toBe(true);
      expect(hasUnread([theirs, mine], 'm0010')).toBe(false);
    });

    it('is any message from the other user without a mark', () => {
      expect(hasUnread([theirs], undefined)).toBe(true);
    });

    it('never counts own or pending messages', () => {
      expect(hasUnread([mine, pending], undefined)).toBe(false);
      expect(hasUnread([], undefined)).toBe(false);
    });
  });
});

describe('unreadCount', () => {
  const m = (id: string, fromSelf = false, pending = false) => ({
    id,
    fromSelf,
    pending,
  });

  it('counts stored messages from the other user after the mark', () => {
    const messages = [
      m('m1'),
      m('m2', true),
      m('m3'),
      m('m4'),
      m('p', true, true),
    ];
    expect(unreadCount(messages, undefined)).toBe(3);
    expect(unreadCount(messages, 'm1')).toBe(2);
    expect(unreadCount(messages, 'm3')).toBe(1);
    expect(unreadCount(messages, 'm4')).toBe(0);
    expect(unreadCount([], undefined)).toBe(0);
  });
});
