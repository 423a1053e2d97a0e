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

  it('after a seed, makes only greater ids, even with the clock far behind it', () => {
    let now = 1_700_000_000_000;
    const before = new MonotonicUlid(() => now, entropy(3));
    const stored = [before.next(), before.next()];
    // A restart with the clock an hour back: a fresh generator seeded with the newest stored id.
    now -= 3_600_000;
    const after = new MonotonicUlid(() => now, entropy(0));
    after.seed(stored[1]);
    const next = [after.next(), after.next()];
    expect(next[0] > stored[1]).toBe(true);
    expect(next[1] > next[0]).toBe(true);
    // Once the clock passes the seed, ids follow the clock again.
    now += 7_200_000;
    expect(after.next().slice(0, 10)).toBe(
      new MonotonicUlid(() => now, entropy(0)).next().slice(0, 10),
    );
  });

  it('ignores a seed older than what it already made, and refuses a non-ULID', () => {
    const ulid = new MonotonicUlid(() => 1_700_000_000_000, entropy(9));
    const latest = ulid.next();
    ulid.seed(new MonotonicUlid(() => 1_600_000_000_000, entropy(31)).next());
    expect(ulid.next() > latest).toBe(true);
    expect(() => ulid.seed('not-an-id')).toThrow(/not a ULID/);
    expect(() => ulid.seed('01arz3ndektsv4rrffq69g5fav')).toThrow(/not a ULID/);
  });

  it('carries over from a seed whose random part is all ones', () => {
    const ulid = new MonotonicUlid(() => 0, entropy(0));
    ulid.seed('0000000001ZZZZZZZZZZZZZZZZ');
    expect(ulid.next()).toBe('00000000020000000000000000');
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

  it('makes message ids from the clock it is given, past a seeded id', () => {
    const fixed = new IdGenerator(() => 1469918176385);
    expect(fixed.messageID().slice(0, 10)).toBe('01ARYZ6S41');
    const seeded = new IdGenerator(() => 0);
    seeded.seedMessageID(undefined);
    seeded.seedMessageID('01ARYZ6S41ZZZZZZZZZZZZZZZY');
    expect(seeded.messageID()).toBe('01ARYZ6S41ZZZZZZZZZZZZZZZZ');
  });

  it('makes message ids that sort in creation order', () => {
    const messageIDs = Array.from({ length: 1000 }, () => ids.messageID());
    expect(new Set(messageIDs).size).toBe(1000);
    expect([...messageIDs].sort()).toEqual(messageIDs);
  });
});
