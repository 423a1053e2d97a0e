import { IdGenerator, MonotonicUlid } from './ids';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe('MonotonicUlid', () => {
  const entropy = (fill: number) => (bytes: number) =>
    new Uint8Array(bytes).fill(fill);

  it('encodes the time first, so later milliseconds sort later', () => {
    let now = 1_700_000_000_000;
    const ulid = new MonotonicUlid(() => now, entropy(31));
    const first = ulid.next();
    now += 1;
    const second = ulid.next();
    expect(first).toMatch(ULID);
    expect(second > first).toBe(true);
    expect(second.slice(0, 10) > first.slice(0, 10)).toBe(true);
  });

  it('stays strictly increasing within one millisecond and when the clock steps back', () => {
    let now = 1_700_000_000_000;
    const ulid = new MonotonicUlid(() => now, entropy(7));
    const ids = [ulid.next(), ulid.next(), ulid.next()];
    now -= 5_000;
    ids.push(ulid.next(), ulid.next());
    for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
  });

  it('carries over when the random part would overflow', () => {
    const ulid = new MonotonicUlid(() => 1000, entropy(255));
    const ids = Array.from({ length: 3 }, () => ulid.next());
    expect(new Set(ids).size).toBe(3);
    expect([...ids].sort()).toEqual(ids);
  });

  it('matches the reference encoding of the time part', () => {
    // 1469918176385 ms is 01ARYZ6S41 in the ULID specification's example.
    expect(
      new MonotonicUlid(() => 1469918176385, entropy(0)).next().slice(0, 10),
    ).toBe('01ARYZ6S41');
  });
});

describe('IdGenerator', () => {
  const ids = new IdGenerator();

  it('makes url-safe sessionIDs of 256 bits and userIDs of 128 bits, all distinct', () => {
    const sessionIDs = Array.from({ length: 100 }, () => ids.sessionID());
    const userIDs = Array.from({ length: 100 }, () => ids.userID());
    for (const id of sessionIDs)
      expect(Buffer.from(id, 'base64url')).toHaveLength(32);
    for (const id of userIDs)
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    expect(new Set([...sessionIDs, ...userIDs]).size).toBe(200);
    for (const id of [...sessionIDs, ...userIDs])
      expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('makes message ids that sort in creation order', () => {
    const messageIDs = Array.from({ length: 1000 }, () => ids.messageID());
    expect(new Set(messageIDs).size).toBe(1000);
    expect([...messageIDs].sort()).toEqual(messageIDs);
  });
});
