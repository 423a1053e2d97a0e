/** Shortest suffix of a userID shown after a shared name. */
const SUFFIX_LENGTH = 4;

/** Who a display name is computed for. */
export interface Named {
  userID: string;
  username: string;
}

/** The key under which names count as the same: case-insensitive, compatibility-normalised. */
export function nameKey(username: string): string {
  return username.normalize('NFKC').toLocaleLowerCase();
}

/**
 * The name to show for each user (by userID): the username, and where two or more users share it
 * (case-insensitive), the username with a short suffix of the userID, `dave (#a1b2)`: stable for
 * that user, and long enough to tell apart everyone of that name (Matrix's display-name
 * disambiguation, with a shorter id).
 */
export function displayNames(people: readonly Named[]): Map<string, string> {
  const byName = new Map<string, Named[]>();
  for (const person of people) {
    const key = nameKey(person.username);
    const same = byName.get(key);
    if (same) same.push(person);
    else byName.set(key, [person]);
  }
  const names = new Map<string, string>();
  for (const same of byName.values()) {
    if (same.length === 1) {
      names.set(same[0].userID, same[0].username);
      continue;
    }
    const length = suffixLength(same.map((person) => person.userID));
    for (const person of same)
      names.set(
        person.userID,
        `${person.username} (#${person.userID.slice(0, length)})`,
      );
  }
  return names;
}

/** The shortest prefix length, from SUFFIX_LENGTH up, that tells all of `ids` apart. */
function suffixLength(ids: readonly string[]): number {
  const longest = Math.max(...ids.map((id) => id.length));
  for (let length = SUFFIX_LENGTH; length < longest; length++) {
    if (new Set(ids.map((id) => id.slice(0, length))).size === ids.length)
      return length;
  }
  return longest;
}
