import { isoTime } from './iso-time';

describe('isoTime', () => {
  it('is toISOString, for the same millisecond again and for others', () => {
    for (const ms of [
      0, 1_750_000_000_123, 1_750_000_000_123, 1_750_000_000_124, -1,
    ])
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it('throws for an invalid time, as toISOString does', () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});
