import type { Presence } from '../directory/directory.models';
import type { TimeFormat } from './time-format';

/**
 * Someone's presence in words: `online`, `last seen 5 minutes ago` (or `offline` when the server
 * did not say when), or `status unknown` while our own link is down.
 */
export function presenceText(
  person: { presence: Presence; lastSeen?: string },
  format: TimeFormat,
  now: number,
): string {
  switch (person.presence) {
    case 'online':
      return 'online';
    case 'unknown':
      return 'status unknown';
    case 'offline': {
      const time = person.lastSeen ? Date.parse(person.lastSeen) : NaN;
      return Number.isNaN(time)
        ? 'offline'
        : format.lastSeen(Math.min(time, now), now);
    }
  }
}
