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
 * unique.
 */
export class MonotonicUlid {
  private lastTime = -1;
  private readonly random: number[] = new Array<number>(RANDOM_DIGITS).fill(0);

  constructor(
    private readonly now: () => number = Date.now,
    private readonly entropy: (bytes: number) => Uint8Array = randomBytes,
  ) {}

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
    return (
      encodeTime(this.lastTime) +
      this.random.map((digit) => BASE32[digit]).join('')
    );
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
  private readonly ulid = new MonotonicUlid();

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
}
