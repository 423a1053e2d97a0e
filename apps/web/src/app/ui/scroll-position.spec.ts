import {
  EDGE_PX,
  type ListShape,
  anchoredScrollTop,
  captureAnchor,
  fitsWithoutScrolling,
  isNearBottom,
  reachedTop,
  scrollAction,
} from './scroll-position';

describe('scroll position', () => {
  const shape = (overrides: Partial<ListShape> = {}): ListShape => ({
    conversation: 'uBob',
    firstId: 'm10',
    lastId: 'm20',
    lastFromSelf: false,
    ...overrides,
  });

  describe('after a render', () => {
    it('shows the newest message of a conversation just opened', () => {
      expect(scrollAction(null, shape(), false)).toBe('bottom');
      expect(
        scrollAction(shape({ conversation: 'uCarol' }), shape(), false),
      ).toBe('bottom');
    });

    it('follows a new message when at the end, or when it is our own', () => {
      const next = shape({ lastId: 'm21' });
      expect(scrollAction(shape(), next, true)).toBe('bottom');
      expect(scrollAction(shape(), next, false)).toBe('anchor');
      expect(
        scrollAction(
          shape(),
          shape({ lastId: 'pending-1', lastFromSelf: true }),
          false,
        ),
      ).toBe('bottom');
    });

    it('keeps the message in view when older ones arrive above', () => {
      expect(scrollAction(shape(), shape({ firstId: 'm01' }), true)).toBe(
        'anchor',
      );
      expect(scrollAction(shape(), shape(), true)).toBe('anchor');
    });
  });

  describe('the anchor', () => {
    // Items 20px tall from the top, the first one below a 30px row.
    const boxes = Array.from({ length: 50 }, (_, i) => ({
      key: `m${i}`,
      top: 30 + i * 20,
      height: 20,
    }));
    const read: number[] = [];
    const boxAt = (i: number) => {
      read.push(i);
      return boxes[i];
    };

    it('is the first item not entirely above the view, and its offset in it', () => {
      expect(captureAnchor(0, boxes.length, boxAt)).toEqual({
        key: 'm0',
        offset: 30,
      });
      expect(captureAnchor(55, boxes.length, boxAt)).toEqual({
        key: 'm1',
        offset: -5,
      });
      expect(captureAnchor(70, boxes.length, boxAt)).toEqual({
        key: 'm2',
        offset: 0,
      });
      expect(captureAnchor(5000, boxes.length, boxAt)?.key).toBe('m49');
      expect(captureAnchor(0, 0, boxAt)).toBeNull();
    });

    it('is found reading a few items only', () => {
      read.length = 0;
      captureAnchor(500, boxes.length, boxAt);
      expect(read.length).toBeLessThanOrEqual(8);
    });

    it('stays in place once older items pushed it down', () => {
      const anchor = captureAnchor(55, boxes.length, boxAt);
      if (!anchor) throw new Error('no anchor');
      // 10 older items (200px) now come before it.
      expect(anchoredScrollTop(anchor, 50 + 200)).toBe(255);
      expect(anchoredScrollTop({ offset: 40 }, 10)).toBe(0);
    });
  });

  it('knows the edges', () => {
    expect(
      isNearBottom({ scrollTop: 600, scrollHeight: 1000, clientHeight: 400 }),
    ).toBe(true);
    expect(
      isNearBottom({
        scrollTop: 600 - EDGE_PX - 1,
        scrollHeight: 1000,
        clientHeight: 400,
      }),
    ).toBe(false);
    expect(reachedTop(200, EDGE_PX)).toBe(true);
    expect(reachedTop(200, EDGE_PX + 1)).toBe(false);
    // Moving down (our own adjustments) never asks, even near the top.
    expect(reachedTop(0, 30)).toBe(false);
    expect(fitsWithoutScrolling({ scrollHeight: 300, clientHeight: 400 })).toBe(
      true,
    );
    expect(fitsWithoutScrolling({ scrollHeight: 500, clientHeight: 400 })).toBe(
      false,
    );
    // Not laid out (hidden, or a test DOM): no conclusion.
    expect(fitsWithoutScrolling({ scrollHeight: 0, clientHeight: 0 })).toBe(
      false,
    );
  });
});
