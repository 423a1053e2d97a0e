import { ConnectionLimit } from './connection-limit';

describe('ConnectionLimit', () => {
  it('opens up to the maximum per address, and again once one closes', () => {
    const limit = new ConnectionLimit(2);
    expect([1, 2, 3].map(() => limit.tryOpen('a'))).toEqual([
      true,
      true,
      false,
    ]);
    expect(limit.tryOpen('b')).toBe(true);
    expect(limit.count('a')).toBe(2);
    limit.close('a');
    expect(limit.count('a')).toBe(1);
    expect(limit.tryOpen('a')).toBe(true);
    expect(limit.tryOpen('a')).toBe(false);
  });

  it('forgets an address with nothing open', () => {
    const limit = new ConnectionLimit(1);
    limit.tryOpen('a');
    limit.close('a');
    limit.close('a');
    expect(limit.count('a')).toBe(0);
    expect(limit.tryOpen('a')).toBe(true);
  });
});
