/** A piece of a message: plain text, or an http(s) link (`href` is the parsed URL). */
export interface TextSegment {
  text: string;
  href?: string;
}

/** `http://` or `https://` and a host, not glued to a word before it, up to whitespace. */
const CANDIDATE = /(?<![\p{L}\p{N}_])https?:\/\/[^\s<>"'`/][^\s<>"'`]*/giu;
/** Punctuation that ends a sentence rather than the link it follows. */
const TRAILING = /[.,;:!?*_~]$/;
const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/**
 * A message's text cut into text and http(s) link segments, to render with bindings only: no
 * part of it ever becomes markup. A link ends at whitespace, loses trailing punctuation (`.`,
 * `,`, `!`…) and a closing bracket it did not open (`(see https://x.org/a)`), and must parse as
 * an http(s) URL with a host; anything else stays text. Joined again, the segments give back the
 * content exactly.
 */
export function linkify(content: string): readonly TextSegment[] {
  const segments: TextSegment[] = [];
  let textStart = 0;
  for (const match of content.matchAll(CANDIDATE)) {
    const start = match.index;
    const candidate = trimEnd(match[0]);
    const href = httpUrl(candidate);
    if (!href) continue;
    if (start > textStart)
      segments.push({ text: content.slice(textStart, start) });
    segments.push({ text: candidate, href });
    textStart = start + candidate.length;
  }
  if (textStart < content.length || segments.length === 0)
    segments.push({ text: content.slice(textStart) });
  return segments;
}

function trimEnd(candidate: string): string {
  let url = candidate;
  for (;;) {
    const last = url.at(-1) ?? '';
    if (TRAILING.test(last)) {
      url = url.slice(0, -1);
      continue;
    }
    const opener = CLOSERS[last];
    if (opener && count(url, last) > count(url, opener)) {
      url = url.slice(0, -1);
      continue;
    }
    return url;
  }
}

function count(text: string, char: string): number {
  let n = 0;
  for (const c of text) if (c === char) n++;
  return n;
}

/** The URL to link to, or undefined when it is not an http(s) URL with a host. */
function httpUrl(candidate: string): string | undefined {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (!url.hostname) return undefined;
  return url.href;
}
