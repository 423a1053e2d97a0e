import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';

// Crockford's base32: sorts like the numbers it encodes (digits before letters, no I L O U).
const BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_DIGITS = 10; // 50 bits of milliseconds: good until the year 37000
const RANDOM_DIGITS = 16; // 80 bits

/**
 * Monotonic ULIDs: 26 characters, time first, so that string order is creation order. Within one
 * millisecond (or if the clock steps back) the random part is incremented instead of redrawn, so
 * ids stay strictly increasing within this process; across processes the 80 random bits keep them
 * unique. `seed` carries that order over a restart: after `seed(id)`, every id is greater than `id`
 * even if the clock now reads earlier than the time in it.
 */
export class MonotonicUlid {
  private lastTime = -1;
  private readonly random: number[] = new Array<number>(RANDOM_DIGITS).fill(0);
  // `lastTime` encoded, kept while it does not change: most ids of a busy millisecond share it.
  private encodedTime = '';
  private encodedFor = -1;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly entropy: (bytes: number) => Uint8Array = randomBytes,
  ) {}

  /** Makes every later id greater than `id` (one of ours: 26 Crockford base32 digits). */
  seed(id: string): void {
    const digits = decode(id);
    if (digits === undefined) throw new Error(`not a ULID: ${id}`);
    let time = 0;
    for (const digit of digits.slice(0, TIME_DIGITS)) time = time * 32 + digit;
    // An older seed changes nothing: ids are already past it.
    if (time < this.lastTime) return;
    const random = digits.slice(TIME_DIGITS);
    if (time === this.lastTime && compare(random, this.random) <= 0) return;
    this.lastTime = time;
    random.forEach((digit, i) => (this.random[i] = digit));
  }

  next(): string {
    const now = this.now();
    if (now > this.lastTime) {
      this.lastTime = now;
      this.redraw();
    } else if (!this.increment()) {
      // 2^80 ids in one millisecond cannot happen; borrowing the next millisecond keeps order anyway.
      this.lastTime += 1;
      this.redraw();
    }
    if (this.encodedFor !== this.lastTime) {
      this.encodedTime = encodeTime(this.lastTime);
      this.encodedFor = this.lastTime;
    }
    let id = this.encodedTime;
    for (const digit of this.random) id += BASE32[digit];
    return id;
  }

  private redraw(): void {
    const bytes = this.entropy(RANDOM_DIGITS);
    for (let i = 0; i < RANDOM_DIGITS; i++) this.random[i] = bytes[i] & 31;
    // Room to increment without overflowing in practice.
    this.random[0] &= 15;
  }

  /** Adds one to the random part; false if it overflowed. */
  private increment(): boolean {
    for (let i = RANDOM_DIGITS - 1; i >= 0; i--) {
      if (this.random[i] < 31) {
        this.random[i] += 1;
        return true;
      }
      this.random[i] = 0;
    }
    return false;
  }
}

const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

function decode(id: string): number[] | undefined {
  if (!ULID_PATTERN.test(id)) return undefined;
  return [...id].map((char) => BASE32.indexOf(char));
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function encodeTime(time: number): string {
  let out = '';
  let rest = time;
  for (let i = 0; i < TIME_DIGITS; i++) {
    out = BASE32[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/** Every id the chat hands out. */
@Injectable()
export class IdGenerator {
  private readonly ulid: MonotonicUlid;

  /** `now`: the clock message ids are made from (the app's `Clock`). */
  constructor(now: () => number = Date.now) {
    this.ulid = new MonotonicUlid(now);
  }

  /** The secret that resumes a session: 256 bits from the CSPRNG, url-safe. */
  sessionID(): string {
    return randomBytes(32).toString('base64url');
  }

  /** Public identity, drawn independently of the sessionID: 128 bits, url-safe. */
  userID(): string {
    return randomBytes(16).toString('base64url');
  }

  /** Unique, sortable message id. */
  messageID(): string {
    return this.ulid.next();
  }

  /**
   * Every later message id will be greater than `latest` (the newest stored one), so the order of
   * a conversation survives a restart, even one where the clock went back. Undefined: no-op.
   */
  seedMessageID(latest: string | undefined): void {
    if (latest !== undefined) this.ulid.seed(latest);
  }
}
