import { InjectionToken } from '@angular/core';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export interface TimeFormatOptions {
  /** BCP 47 locale; the browser's own when absent. */
  locale?: string;
  /** IANA time zone; the browser's own when absent. */
  timeZone?: string;
}

/**
 * Dates and times as the screen shows them, in the user's locale and time zone: message times,
 * day separators ("Today", "Yesterday", "Mon 30 Nov"), the list's times and "last seen".
 * The formatters are made once (Intl's are costly to create).
 */
export class TimeFormat {
  private readonly dayParts: Intl.DateTimeFormat;
  private readonly clock: Intl.DateTimeFormat;
  private readonly weekdayDay: Intl.DateTimeFormat;
  private readonly weekdayDayYear: Intl.DateTimeFormat;
  private readonly weekday: Intl.DateTimeFormat;
  private readonly shortDate: Intl.DateTimeFormat;
  private readonly full: Intl.DateTimeFormat;
  private readonly relative: Intl.RelativeTimeFormat;
  private readonly locale: string;

  constructor({ locale, timeZone }: TimeFormatOptions = {}) {
    const zone = { timeZone };
    this.dayParts = new Intl.DateTimeFormat('en-CA', {
      ...zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    this.clock = new Intl.DateTimeFormat(locale, {
      ...zone,
      timeStyle: 'short',
    });
    this.weekdayDay = new Intl.DateTimeFormat(locale, {
      ...zone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
    });
    this.weekdayDayYear = new Intl.DateTimeFormat(locale, {
      ...zone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
    });
    this.weekday = new Intl.DateTimeFormat(locale, {
      ...zone,
      weekday: 'short',
    });
    this.shortDate = new Intl.DateTimeFormat(locale, {
      ...zone,
      dateStyle: 'short',
    });
    this.full = new Intl.DateTimeFormat(locale, {
      ...zone,
      dateStyle: 'full',
      timeStyle: 'short',
    });
    this.relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
    this.locale = this.clock.resolvedOptions().locale;
  }

  /** The calendar day of `time` in this time zone, `YYYY-MM-DD`: equal for the same day. */
  day(time: number): string {
    return this.dayParts.format(time);
  }

  /** Calendar days from the day of `time` to the day of `now` (0: the same day, 1: the day before). */
  daysBefore(time: number, now: number): number {
    const start = (t: number) => Date.parse(`${this.day(t)}T00:00:00Z`);
    return Math.round((start(now) - start(time)) / DAY_MS);
  }

  /** `14:05` or `2:05 PM`. */
  time(time: number): string {
    return this.clock.format(time);
  }

  /** For a tooltip: `Monday, 30 November 2026 at 14:05`. */
  fullDate(time: number): string {
    return this.full.format(time);
  }

  /** A day separator: `Today`, `Yesterday`, `Mon 30 Nov`, with the year if not this year's. */
  dayLabel(time: number, now: number): string {
    const days = this.daysBefore(time, now);
    if (days === 0 || days === 1) return this.capitalized(-days);
    const sameYear = this.day(time).slice(0, 4) === this.day(now).slice(0, 4);
    return (sameYear ? this.weekdayDay : this.weekdayDayYear).format(time);
  }

  /** A list row's time: today's time, `Yesterday`, a weekday this week, else the date. */
  listTime(time: number, now: number): string {
    const days = this.daysBefore(time, now);
    if (days <= 0) return this.time(time);
    if (days === 1) return this.capitalized(-1);
    if (days < 7) return this.weekday.format(time);
    return this.shortDate.format(time);
  }

  /**
   * `last seen just now`, `… 5 minutes ago`, `… today at 14:05`, `… yesterday at 20:10`,
   * `… on Mon 30 Nov`.
   */
  lastSeen(time: number, now: number): string {
    const ago = now - time;
    if (ago < MINUTE_MS) return 'last seen just now';
    if (ago < HOUR_MS)
      return `last seen ${this.relative.format(-Math.floor(ago / MINUTE_MS), 'minute')}`;
    const days = this.daysBefore(time, now);
    if (days <= 1)
      return `last seen ${this.relative.format(-days, 'day')} at ${this.time(time)}`;
    return `last seen on ${this.dayLabel(time, now)}`;
  }

  private capitalized(days: number): string {
    const text = this.relative.format(days, 'day');
    return text.charAt(0).toLocaleUpperCase(this.locale) + text.slice(1);
  }
}

/** The app's formats: the browser's locale and time zone (tests give fixed ones). */
export const TIME_FORMAT = new InjectionToken<TimeFormat>('TimeFormat', {
  providedIn: 'root',
  factory: () => new TimeFormat(),
});
