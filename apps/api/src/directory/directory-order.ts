/**
 * The directory's order: by name, case-insensitive, then by userID. A session's place in it is
 * its key, `nameKey(username) + "\0" + userID` (usernames hold no control characters), compared
 * by code points, which is also the byte order of UTF-8 that SQLite and Redis compare by. Every
 * session store indexes its sessions by this key (`SessionStore.findDirectory`).
 */
export const nameKey = (username: string): string => username.toLowerCase();

export const directoryKey = (session: {
  username: string;
  userID: string;
}): string => `${nameKey(session.username)}\u0000${session.userID}`;

/** Splits a key (or a cursor a client sent back, which may be anything) into name and userID. */
export function splitDirectoryKey(key: string): [name: string, userID: string] {
  const at = key.indexOf('\u0000');
  return at < 0 ? [key, ''] : [key.slice(0, at), key.slice(at + 1)];
}

/** Above every code point: `prefix + PREFIX_END` bounds the keys that start with `prefix`. */
export const PREFIX_END = '\u{10FFFF}';

/** Code point order (JS `<` compares UTF-16 units, which differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

// Surrogates (U+D800–DFFF, the halves of code points above U+FFFF) rank above U+E000–FFFF.
const codePointRank = (unit: number) =>
  unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit;
