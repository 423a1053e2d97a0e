import { chatMessage } from '../testing/chat-fixtures';
import { TimeFormat } from '../ui/time-format';
import { messageRows } from './message-rows';

describe('messageRows', () => {
  const format = new TimeFormat({ locale: 'en-GB', timeZone: 'UTC' });
  const now = Date.parse('2026-11-30T18:00:00Z');
  const at = (iso: string) => ({ at: `2026-11-${iso}:00.000Z` });

  it('puts a day separator above the first message of each day', () => {
    const rows = messageRows(
      [
        chatMessage('a', false, at('29T23:58')),
        chatMessage('b', false, at('30T00:01')),
        chatMessage('c', true, at('30T09:00')),
      ],
      format,
      now,
    );
    expect(rows.map((r) => r.day)).toEqual([
      { label: 'Yesterday', date: '2026-11-29' },
      { label: 'Today', date: '2026-11-30' },
      undefined,
    ]);
  });

  it('groups one sender within five minutes, with the time under the last of a group', () => {
    const rows = messageRows(
      [
        chatMessage('1', false, at('30T10:00')),
        chatMessage('2', false, at('30T10:04')),
        chatMessage('3', false, at('30T10:10')),
        chatMessage('4', true, at('30T10:11')),
        chatMessage('5', true, at('30T10:12')),
        chatMessage('6', false, at('30T10:12')),
      ],
      format,
      now,
    );
    expect(
      rows.map((r) => [
        r.message.content,
        r.groupStart,
        r.groupEnd,
        r.time?.label,
      ]),
    ).toEqual([
      ['1', true, false, undefined],
      ['2', false, true, '10:04'],
      ['3', true, true, '10:10'],
      ['4', true, false, undefined],
      ['5', false, true, '10:12'],
      ['6', true, true, '10:12'],
    ]);
    expect(rows[1].time).toEqual({
      label: '10:04',
      iso: '2026-11-30T10:04:00.000Z',
      full: 'Monday, 30 November 2026 at 10:04',
    });
  });

  it('never shows a time for a message still on its way', () => {
    const rows = messageRows(
      [
        chatMessage('sent', true, at('30T10:00')),
        chatMessage('sending', true, { ...at('30T10:01'), pending: true }),
      ],
      format,
      now,
    );
    expect(rows.map((r) => [r.groupEnd, r.time?.label])).toEqual([
      [false, undefined],
      [true, undefined],
    ]);
  });

  it('starts a new group on a new day, whatever the gap', () => {
    const rows = messageRows(
      [
        chatMessage('late', false, at('29T23:59')),
        chatMessage('early', false, at('30T00:00')),
      ],
      format,
      now,
    );
    expect(rows.map((r) => [r.groupStart, r.groupEnd])).toEqual([
      [true, true],
      [true, true],
    ]);
  });

  it('gives each message of mine its state by their markers, and "Seen" under the last read', () => {
    const messages = [
      chatMessage('theirs', false, { id: 'm1', ...at('30T10:00') }),
      chatMessage('read', true, { id: 'm2', ...at('30T10:01') }),
      chatMessage('read too', true, { id: 'm3', ...at('30T10:02') }),
      chatMessage('delivered', true, { id: 'm4', ...at('30T10:03') }),
      chatMessage('sent', true, { id: 'm5', ...at('30T10:04') }),
      chatMessage('sending', true, { id: 'p1', pending: true }),
      chatMessage('failed', true, { id: 'p2', pending: true, failed: true }),
    ];
    const rows = messageRows(messages, format, now, {
      delivered: 'm4',
      read: 'm3',
      readAt: '2026-11-30T17:05:00.000Z',
    });
    expect(rows.map((r) => r.status)).toEqual([
      undefined,
      'read',
      'read',
      'delivered',
      'sent',
      'sending',
      'failed',
    ]);
    expect(rows.map((r) => r.seen)).toEqual([
      undefined,
      undefined,
      { label: 'Seen 17:05', iso: '2026-11-30T17:05:00.000Z' },
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    // From the replay, when is not known.
    expect(messageRows(messages, format, now, { read: 'm2' })[1].seen).toEqual({
      label: 'Seen',
    });
    expect(messageRows(messages, format, now).map((r) => r.seen)).toEqual(
      messages.map(() => undefined),
    );
  });
});
