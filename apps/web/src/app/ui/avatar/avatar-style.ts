/**
 * Avatar colours: each with white text at a contrast of at least 4.5:1 (WCAG AA for small text),
 * on light and dark themes alike.
 */
export const AVATAR_COLORS = [
  '#c2185b',
  '#7b1fa2',
  '#512da8',
  '#283593',
  '#1565c0',
  '#00695c',
  '#2e7d32',
  '#bf360c',
  '#5d4037',
  '#455a64',
  '#ad1457',
  '#6a1b9a',
] as const;

/** A colour of AVATAR_COLORS, the same for a userID on every device (FNV-1a of the id). */
export function avatarColor(userID: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < userID.length; i++) {
    hash ^= userID.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return AVATAR_COLORS[(hash >>> 0) % AVATAR_COLORS.length];
}

const segmenter =
  typeof Intl.Segmenter === 'function'
    ? new Intl.Segmenter(undefined, { granularity: 'grapheme' })
    : undefined;

/** The first character as a person sees it (an emoji with its modifiers, an accented letter). */
function firstGrapheme(word: string): string {
  if (segmenter) {
    for (const { segment } of segmenter.segment(word)) return segment;
    return '';
  }
  return Array.from(word)[0] ?? '';
}

/**
 * One or two letters for a name: the first letters of its first and last words (`Mary Jane
 * Watson` → `MW`, `dave` → `D`, `jean-luc` → `JL`); `?` for no name.
 */
export function initials(name: string): string {
  const words = name
    .trim()
    .split(/[\s._-]+/u)
    .filter(Boolean);
  if (!words.length) return '?';
  const first = firstGrapheme(words[0]);
  const last = words.length > 1 ? firstGrapheme(words[words.length - 1]) : '';
  return (first + last).toLocaleUpperCase();
}
