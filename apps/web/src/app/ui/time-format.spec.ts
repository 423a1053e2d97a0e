import { TimeFormat } from './time-format';

describe('TimeFormat', () => {
  const london = new TimeFormat({ locale: 'en-GB', timeZone: 'Europe/London' });
  const us = new TimeFormat({ locale: 'en-US', timeZone: 'America/New_York' });
  // Monday 30 November 2026, 14:05 in London.
  const now = Date.parse('2026-11-30T14:05:00Z');
  const at = (iso: string) => Date.parse(iso);

  it('tells the calendar day in its time zone', () => {
    // 02:00 UTC on the 30th is still the 29th in New York.
    expect(london.day(at('2026-11-30T02:00:00Z'))).toBe('2026-11-30');
    expect(us.day(at('2026-11-30T02:00:00Z'))).toBe('2026-11-29');
    expect(london.daysBefore(at('2026-11-29T23:59:00Z'), now)).toBe(1);
    expect(london.daysBefore(at('2026-11-30T00:00:00Z'), now)).toBe(0);
  });

  it('names days as Today, Yesterday, then weekday and date, with the year when not this one', () => {
    expect(london.dayLabel(at('2026-11-30T08:00:00Z'), now)).toBe('Today');
    expect(london.dayLabel(at('2026-11-29T08:00:00Z'), now)).toBe('Yesterday');
    expect(london.dayLabel(at('2026-11-23T08:00:00Z'), now)).toBe('Mon 23 Nov');
    expect(london.dayLabel(at('2025-12-24T08:00:00Z'), now)).toBe(
      'Wed, 24 Dec 2025',
    );
    expect(us.dayLabel(at('2026-11-23T18:00:00Z'), now)).toBe('Mon, Nov 23');
  });

  it('says a message time in the locale', () => {
    expect(london.time(at('2026-11-30T14:05:00Z'))).toBe('14:05');
    expect(us.time(at('2026-11-30T14:05:00Z'))).toBe('9:05 AM');
    expect(london.fullDate(at('2026-11-30T14:05:00Z'))).toBe(
      'Monday, 30 November 2026 at 14:05',
    );
  });

  it("gives a list row today's time, Yesterday, a weekday, or a date", () => {
    expect(london.listTime(at('2026-11-30T09:30:00Z'), now)).toBe('09:30');
    expect(london.listTime(at('2026-11-29T09:30:00Z'), now)).toBe('Yesterday');
    expect(london.listTime(at('2026-11-26T09:30:00Z'), now)).toBe('Thu');
    expect(london.listTime(at('2026-11-02T09:30:00Z'), now)).toBe('02/11/2026');
  });

  it('says when someone was last seen, relative while recent', () => {
    const ago = (ms: number) => london.lastSeen(now - ms, now);
    expect(ago(20_000)).toBe('last seen just now');
    expect(ago(60_000)).toBe('last seen 1 minute ago');
    expect(ago(5 * 60_000 + 30_000)).toBe('last seen 5 minutes ago');
    expect(ago(3 * 3_600_000)).toBe('last seen today at 11:05');
    expect(london.lastSeen(at('2026-11-29T20:10:00Z'), now)).toBe(
      'last seen yesterday at 20:10',
    );
    expect(london.lastSeen(at('2026-11-20T20:10:00Z'), now)).toBe(
      'last seen on Fri 20 Nov',
    );
  });
});
