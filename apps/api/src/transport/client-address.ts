import { isIPv6 } from 'node:net';

/**
 * The address a handshake is counted against (the new-session limit): the connection's peer, or,
 * behind a reverse proxy (`trustProxy`), the last entry of X-Forwarded-For: the one that proxy
 * added. Entries before it are whatever the client sent, so never trusted.
 */
export function clientAddress(
  peer: string,
  forwardedFor: string | string[] | undefined,
  trustProxy: boolean,
): string {
  if (trustProxy && forwardedFor !== undefined) {
    const entries = [forwardedFor]
      .flat()
      .flatMap((header) => header.split(','))
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0);
    const last = entries.at(-1);
    if (last !== undefined) return addressBlock(last);
  }
  return addressBlock(peer);
}

/**
 * An IPv4 address as it is (also when written IPv4-mapped, `::ffff:a.b.c.d`); an IPv6 address as
 * its /64, the block one subscriber usually holds whole: counting each of its addresses apart
 * would give one client billions of budgets.
 */
export function addressBlock(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1];
  const bare = address.split('%')[0];
  if (!isIPv6(bare)) return address;
  return `${ipv6Groups(bare).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, in lower-case hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  // A trailing dotted quad is the last two groups.
  const withoutQuad = address.replace(
    /(\d+)\.(\d+)\.(\d+)\.(\d+)$/,
    (_, a, b, c, d) =>
      `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`,
  );
  const [head, tail] = withoutQuad.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const all =
    tail === undefined
      ? groups(head)
      : [
          ...groups(head),
          ...Array<string>(8 - groups(head).length - groups(tail).length).fill(
            '0',
          ),
          ...groups(tail),
        ];
  return all.map((group) => parseInt(group, 16).toString(16));
}
