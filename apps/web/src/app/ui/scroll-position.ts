/**
 * The message list's scroll rules, free of the DOM so they can be tested directly.
 * Numbers are in CSS pixels of the scrolling list (`scrollTop`, `offsetTop`, …).
 */

/** Within this distance of an edge counts as at it. */
export const EDGE_PX = 64;

/** What the list shows, as far as scrolling cares. */
export interface ListShape {
  conversation: string;
  firstId: string | undefined;
  lastId: string | undefined;
  lastFromSelf: boolean;
}

/** The message the user is looking at, and how far below the list's top edge it starts. */
export interface ScrollAnchor<K> {
  key: K;
  offset: number;
}

/**
 * After a render: `bottom` shows the newest message; `anchor` keeps the message the user was
 * looking at in place, whatever was added or removed above it (an older page, a status row).
 */
export function scrollAction(
  previous: ListShape | null,
  next: ListShape,
  wasNearBottom: boolean,
): 'bottom' | 'anchor' {
  if (!previous || previous.conversation !== next.conversation) return 'bottom';
  // Something new at the end: follow it if the user was following, or if it is their own.
  if (next.lastId !== previous.lastId && (wasNearBottom || next.lastFromSelf))
    return 'bottom';
  return 'anchor';
}

/**
 * The first item not entirely above the viewport (items are laid out top to bottom, so a
 * binary search over `boxAt` finds it reading few of them), or null without items.
 */
export function captureAnchor<K>(
  scrollTop: number,
  count: number,
  boxAt: (index: number) => { key: K; top: number; height: number },
): ScrollAnchor<K> | null {
  if (count === 0) return null;
  let low = 0;
  let high = count - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    const box = boxAt(mid);
    if (box.top + box.height > scrollTop) high = mid;
    else low = mid + 1;
  }
  const box = boxAt(low);
  return { key: box.key, offset: box.top - scrollTop };
}

/** The `scrollTop` that puts the anchor back `offset` below the top, now that it sits at `top`. */
export function anchoredScrollTop(
  anchor: { offset: number },
  top: number,
): number {
  return Math.max(0, top - anchor.offset);
}

export function isNearBottom(list: {
  scrollTop: number;
  scrollHeight: number;
  clientHeight: number;
}): boolean {
  return list.scrollHeight - list.scrollTop - list.clientHeight <= EDGE_PX;
}

/** The user scrolled up into the top edge: time for the older page. */
export function reachedTop(
  previousScrollTop: number,
  scrollTop: number,
): boolean {
  return scrollTop < previousScrollTop && scrollTop <= EDGE_PX;
}

/** Laid out, and everything fits: no scrolling could ever ask for older messages. */
export function fitsWithoutScrolling(list: {
  scrollHeight: number;
  clientHeight: number;
}): boolean {
  return list.clientHeight > 0 && list.scrollHeight <= list.clientHeight;
}
