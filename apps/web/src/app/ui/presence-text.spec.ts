import { presenceText } from './presence-text';
import { TimeFormat } from './time-format';

describe('presenceText', () => {
  const format = new TimeFormat({ locale: 'en-GB', timeZone: 'UTC' });
  const now = Date.parse('2026-11-30T12:00:00Z');

  it('says online, status unknown, or offline without a time', () => {
    expect(presenceText({ presence: 'online' }, format, now)).toBe('online');
    expect(presenceText({ presence: 'unknown' }, format, now)).toBe(
      'status unknown',
    );
    expect(presenceText({ presence: 'offline' }, format, now)).toBe('offline');
    expect(
      presenceText({ presence: 'offline', lastSeen: 'garbage' }, format, now),
    ).toBe('offline');
  });

  it('says when an offline user was last seen, never in the future', () => {
    const lastSeen = '2026-11-30T11:55:00Z';
    expect(presenceText({ presence: 'offline', lastSeen }, format, now)).toBe(
      'last seen 5 minutes ago',
    );
    // Another clock a little ahead of ours.
    expect(
      presenceText(
        { presence: 'offline', lastSeen: '2026-11-30T12:00:30Z' },
        format,
        now,
      ),
    ).toBe('last seen just now');
    // Online wins over a stale lastSeen.
    expect(presenceText({ presence: 'online', lastSeen }, format, now)).toBe(
      'online',
    );
  });
});
