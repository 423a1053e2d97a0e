import { TestBed } from '@angular/core/testing';
import { ErrorCode, MESSAGE_MAX_LENGTH } from '@chat/contracts';
import type { SendFailure } from '../../outbox/outbox.models';
import type { ChatUser } from '../conversation.models';
import { chatMessage, chatUser } from '../../testing/chat-fixtures';
import { provideTestUi } from '../../testing/test-ui';
import { MessagePanel } from './message-panel';

describe('MessagePanel', () => {
  const bob = chatUser({
    username: 'bob',
    messages: [
      chatMessage('hi', false),
      chatMessage('are you there?', false),
      chatMessage('yes', true),
      chatMessage('lunch?', false),
    ],
  });

  async function render(
    initial: ChatUser = bob,
    sendFailure: SendFailure | null = null,
  ) {
    let user = initial;
    TestBed.configureTestingModule({ providers: provideTestUi() });
    const fixture = TestBed.createComponent(MessagePanel);
    fixture.componentRef.setInput('user', user);
    fixture.componentRef.setInput('sendFailure', sendFailure);
    const sent: string[] = [];
    fixture.componentInstance.send.subscribe((content) => sent.push(content));
    const olderAsked = { count: 0 };
    fixture.componentInstance.loadOlder.subscribe(() => olderAsked.count++);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const textarea = el.querySelector<HTMLTextAreaElement>(
      'textarea[data-testid=message-input]',
    );
    const button = el.querySelector<HTMLButtonElement>(
      'button[data-testid=message-send]',
    );
    if (!textarea || !button) throw new Error('panel not rendered');
    const type = async (value: string) => {
      textarea.value = value;
      textarea.dispatchEvent(new Event('input'));
      await fixture.whenStable();
    };
    const press = async (init: KeyboardEventInit) => {
      const event = new KeyboardEvent('keydown', {
        key: 'Enter',
        cancelable: true,
        ...init,
      });
      textarea.dispatchEvent(event);
      await fixture.whenStable();
      return event;
    };
    const texts = (selector: string) =>
      Array.from(el.querySelectorAll(selector)).map((n) =>
        n.textContent?.trim(),
      );
    const scroller = el.querySelector<HTMLElement>('.messages');
    if (!scroller) throw new Error('no scroller');
    /** The user scrolls the list (the browser then fires `scroll`). */
    const scrollTo = (top: number) => {
      scroller.scrollTop = top;
      scroller.dispatchEvent(new Event('scroll'));
    };
    const update = async (changes: Partial<ChatUser>) => {
      user = { ...user, ...changes };
      fixture.componentRef.setInput('user', user);
      await fixture.whenStable();
    };
    return {
      fixture,
      el,
      textarea,
      button,
      sent,
      olderAsked,
      scroller,
      scrollTo,
      update,
      type,
      press,
      texts,
    };
  }

  it('carries the panel test id and a header with the name and presence', async () => {
    const { el } = await render(
      chatUser({ username: 'carol', connected: false }),
    );
    expect(el.getAttribute('data-testid')).toBe('message-panel');
    expect(el.querySelector('.header')?.textContent).toContain('carol');
    expect(el.querySelector('.header')?.textContent).toContain('offline');
  });

  it('lists messages oldest first', async () => {
    const { texts } = await render();
    expect(
      texts('[data-testid=message] [data-testid=message-content]'),
    ).toEqual(['hi', 'are you there?', 'yes', 'lunch?']);
  });

  it('labels the sender for screen readers where a group starts, "You" for own messages', async () => {
    const { el } = await render();
    const labels = Array.from(el.querySelectorAll('[data-testid=message]')).map(
      (m) =>
        m.querySelector('[data-testid=message-sender]')?.textContent?.trim() ??
        null,
    );
    expect(labels).toEqual(['bob', null, 'You', 'bob']);
  });

  it('marks a message still on its way as sending, busy for assistive technology', async () => {
    const { el } = await render(
      chatUser({
        username: 'bob',
        messages: [
          chatMessage('sent', true),
          chatMessage('on its way', true, {
            id: 'pending-abc',
            pending: true,
            clientMessageId: 'abc',
          }),
        ],
      }),
    );
    const [sent, sending] = Array.from(
      el.querySelectorAll<HTMLElement>('[data-testid=message]'),
    );
    expect(sent.getAttribute('aria-busy')).toBeNull();
    expect(sent.querySelector('[data-testid=message-sending]')).toBeNull();
    expect(sending.getAttribute('aria-busy')).toBe('true');
    expect(sending.classList).toContain('pending');
    expect(
      sending.querySelector('[data-testid=message-sending]')?.textContent,
    ).toContain('Sending');
  });

  it('keeps the text as written, newlines included', async () => {
    const { texts } = await render(
      chatUser({ username: 'bob', messages: [chatMessage('a\nb', true)] }),
    );
    expect(texts('[data-testid=message-content]')).toEqual(['a\nb']);
  });

  it('sends on Enter and empties the field', async () => {
    const { textarea, sent, type, press } = await render();
    await type('hello bob');
    const event = await press({});
    expect(sent).toEqual(['hello bob']);
    expect(event.defaultPrevented).toBe(true);
    expect(textarea.value).toBe('');
  });

  it('does not send on Shift+Enter (a new line instead)', async () => {
    const { textarea, sent, type, press } = await render();
    await type('line one');
    const event = await press({ shiftKey: true });
    expect(sent).toEqual([]);
    expect(event.defaultPrevented).toBe(false);
    expect(textarea.value).toBe('line one');
  });

  it('sends with the button', async () => {
    const { fixture, button, sent, type } = await render();
    await type('by click');
    button.click();
    await fixture.whenStable();
    expect(sent).toEqual(['by click']);
  });

  it('disables send while the text is empty, blank or too long', async () => {
    const { button, sent, type, press, el } = await render();
    expect(button.disabled).toBe(true);
    await type('  \n ');
    expect(button.disabled).toBe(true);
    await press({});
    expect(sent).toEqual([]);
    await type('x'.repeat(MESSAGE_MAX_LENGTH + 1));
    expect(button.disabled).toBe(true);
    expect(el.querySelector('.error')?.textContent).toContain(
      `${MESSAGE_MAX_LENGTH}`,
    );
    await type('ok');
    expect(button.disabled).toBe(false);
  });

  it('shows a refused send and gives its text back to an empty field', async () => {
    const { fixture, el, textarea, type, press } = await render();
    await type('too fast');
    await press({});
    expect(textarea.value).toBe('');
    const failure: SendFailure = {
      kind: 'send',
      to: bob.userID,
      content: 'too fast',
      code: ErrorCode.RateLimited,
      message: 'Too many messages: wait a moment and try again.',
    };
    fixture.componentRef.setInput('sendFailure', failure);
    await fixture.whenStable();
    expect(
      el.querySelector('[data-testid=send-error]')?.textContent?.trim(),
    ).toBe(failure.message);
    expect(textarea.value).toBe('too fast');
  });

  it('does not overwrite what is being typed when a send fails', async () => {
    const { fixture, textarea, type } = await render();
    await type('next one');
    fixture.componentRef.setInput('sendFailure', {
      kind: 'send',
      to: bob.userID,
      content: 'old',
      code: ErrorCode.Unavailable,
      message: 'x',
    } satisfies SendFailure);
    await fixture.whenStable();
    expect(textarea.value).toBe('next one');
  });

  it('scrolls to the newest message when messages are added', async () => {
    const { fixture, el } = await render();
    const list = el.querySelector<HTMLElement>('.messages');
    if (!list) throw new Error('no list');
    let scrollTop = 0;
    Object.defineProperty(list, 'scrollHeight', {
      configurable: true,
      get: () => 900,
    });
    Object.defineProperty(list, 'scrollTop', {
      configurable: true,
      get: () => scrollTop,
      set: (value: number) => (scrollTop = value),
    });
    fixture.componentRef.setInput('user', {
      ...bob,
      messages: [...bob.messages, chatMessage('new', false)],
    });
    await fixture.whenStable();
    expect(scrollTop).toBe(900);
  });

  describe('the look of a conversation', () => {
    const at = (time: string) => ({ at: `2026-11-${time}:00.000Z` });

    it('puts day separators and group times in <time datetime>, and tells our messages apart', async () => {
      const { el } = await render(
        chatUser({
          username: 'bob',
          messages: [
            chatMessage('evening', false, at('29T21:00')),
            chatMessage('morning', false, at('30T09:00')),
            chatMessage('still there?', false, at('30T09:02')),
            chatMessage('yes!', true, at('30T09:03')),
          ],
        }),
      );
      const days = Array.from(
        el.querySelectorAll('[data-testid=day-separator] time'),
      ).map((t) => [t.getAttribute('datetime'), t.textContent?.trim()]);
      expect(days).toEqual([
        ['2026-11-29', 'Yesterday'],
        ['2026-11-30', 'Today'],
      ]);
      const times = Array.from(
        el.querySelectorAll<HTMLElement>('[data-testid=message-time]'),
      ).map((t) => [
        t.getAttribute('datetime'),
        t.textContent?.trim(),
        t.title,
      ]);
      expect(times).toEqual([
        [
          '2026-11-29T21:00:00.000Z',
          '21:00',
          'Sunday, 29 November 2026 at 21:00',
        ],
        [
          '2026-11-30T09:02:00.000Z',
          '09:02',
          'Monday, 30 November 2026 at 09:02',
        ],
        [
          '2026-11-30T09:03:00.000Z',
          '09:03',
          'Monday, 30 November 2026 at 09:03',
        ],
      ]);
      const items = Array.from(el.querySelectorAll('[data-testid=message]'));
      expect(items.map((i) => i.classList.contains('self'))).toEqual([
        false,
        false,
        false,
        true,
      ]);
    });

    it('makes links clickable and keeps markup as text', async () => {
      const { el } = await render(
        chatUser({
          username: 'bob',
          messages: [chatMessage('<b>see</b> https://example.org/x.', false)],
        }),
      );
      const content = el.querySelector('[data-testid=message-content]');
      expect(content?.textContent).toBe('<b>see</b> https://example.org/x.');
      expect(content?.querySelector('b')).toBeNull();
      const link = content?.querySelector('a');
      expect(link?.getAttribute('href')).toBe('https://example.org/x');
      expect(link?.getAttribute('rel')).toBe('noopener noreferrer');
      expect(link?.getAttribute('target')).toBe('_blank');
    });

    it('says the presence under the name: online, last seen, unknown', async () => {
      const presence = (el: HTMLElement) =>
        el.querySelector('[data-testid=peer-presence]')?.textContent?.trim();
      const { el, update } = await render(chatUser({ username: 'bob' }));
      expect(presence(el)).toBe('online');
      await update({
        connected: false,
        presence: 'offline',
        lastSeen: '2026-11-30T17:55:00.000Z',
      });
      expect(presence(el)).toBe('last seen 5 minutes ago');
      await update({ presence: 'unknown' });
      expect(presence(el)).toBe('status unknown');
    });

    it('shows the disambiguated name in the header', async () => {
      const { el } = await render(
        chatUser({ username: 'dave', displayName: 'dave (#a1b2)' }),
      );
      expect(
        el.querySelector('[data-testid=peer-name]')?.textContent?.trim(),
      ).toBe('dave (#a1b2)');
    });

    it('puts the focus in the message field when a conversation opens, not on each message', async () => {
      const { textarea, update, fixture } = await render();
      expect(document.activeElement).toBe(textarea);
      textarea.blur();
      await update({ messages: [...bob.messages, chatMessage('more', false)] });
      expect(document.activeElement).not.toBe(textarea);
      fixture.componentRef.setInput('user', chatUser({ username: 'carol' }));
      await fixture.whenStable();
      expect(document.activeElement).toBe(textarea);
    });

    it('counts unread messages elsewhere on the way back', async () => {
      const { el, fixture } = await render();
      expect(el.querySelector('[data-testid=back-unread]')).toBeNull();
      fixture.componentRef.setInput('unreadElsewhere', 3);
      await fixture.whenStable();
      expect(
        el.querySelector('[data-testid=back-unread]')?.textContent?.trim(),
      ).toBe(', 3 unread');
      expect(
        el
          .querySelector('[data-testid=back]')
          ?.textContent?.replace(/\s+/g, ' ')
          .trim(),
      ).toBe('Back to chats, 3 unread');
    });
  });

  describe('older messages', () => {
    const history = (count: number, from = 0) =>
      Array.from({ length: count }, (_, i) =>
        chatMessage(`message ${from + i}`, i % 3 === 0),
      );

    afterEach(() => jest.restoreAllMocks());

    /**
     * A stand-in for the browser's layout, which jsdom does not do: a 30px history row, then
     * 20px messages; the list is `view` pixels high and clamps `scrollTop` like a browser.
     */
    function fakeLayout(view = 100) {
      const HISTORY = 30;
      const ITEM = 20;
      const isItem = (el: Element) =>
        el.parentElement?.classList.contains('list') ?? false;
      const isScroller = (el: Element) => el.classList.contains('messages');
      const contentHeight = (el: Element) =>
        HISTORY + (el.querySelector('.list')?.children.length ?? 0) * ITEM;
      const tops = new WeakMap<Element, number>();
      jest
        .spyOn(HTMLElement.prototype, 'offsetTop', 'get')
        .mockImplementation(function (this: HTMLElement) {
          const parent = this.parentElement;
          if (!parent || !isItem(this)) return 0;
          return HISTORY + Array.from(parent.children).indexOf(this) * ITEM;
        });
      jest
        .spyOn(HTMLElement.prototype, 'offsetHeight', 'get')
        .mockImplementation(function (this: HTMLElement) {
          return isItem(this) ? ITEM : 0;
        });
      jest
        .spyOn(Element.prototype, 'scrollHeight', 'get')
        .mockImplementation(function (this: Element) {
          return isScroller(this) ? contentHeight(this) : 0;
        });
      jest
        .spyOn(Element.prototype, 'clientHeight', 'get')
        .mockImplementation(function (this: Element) {
          return isScroller(this) ? view : 0;
        });
      jest
        .spyOn(Element.prototype, 'scrollTop', 'get')
        .mockImplementation(function (this: Element) {
          return tops.get(this) ?? 0;
        });
      jest
        .spyOn(Element.prototype, 'scrollTop', 'set')
        .mockImplementation(function (this: Element, value: number) {
          const max = Math.max(0, contentHeight(this) - view);
          tops.set(this, Math.min(Math.max(0, value), max));
        });
    }

    const testid = (el: HTMLElement, id: string) =>
      el.querySelector<HTMLElement>(`[data-testid=${id}]`);

    it('offers a button while older messages exist, and asks for them with it', async () => {
      const { el, olderAsked, scroller } = await render(
        chatUser({
          username: 'bob',
          messages: history(3),
          hasMoreMessages: true,
        }),
      );
      expect(testid(el, 'history-start')).toBeNull();
      const loadOlder = testid(el, 'load-older');
      expect(loadOlder?.textContent?.trim()).toBe('Load earlier messages');
      loadOlder?.click();
      expect(olderAsked.count).toBe(1);
      // The button is about to give way to the loading row: focus stays in the conversation.
      expect(document.activeElement).toBe(scroller);
    });

    it('shows a loading row instead while they come', async () => {
      const { el } = await render(
        chatUser({
          username: 'bob',
          messages: history(3),
          hasMoreMessages: true,
          loadingOlder: true,
        }),
      );
      expect(testid(el, 'load-older')).toBeNull();
      expect(testid(el, 'loading-older')?.textContent?.trim()).toBe(
        'Loading earlier messages…',
      );
    });

    it('marks the beginning of the conversation once there is no more', async () => {
      const { el, update } = await render(
        chatUser({ username: 'bob', messages: history(3) }),
      );
      expect(testid(el, 'load-older')).toBeNull();
      expect(testid(el, 'history-start')?.textContent?.trim()).toBe(
        'Beginning of the conversation',
      );
      // An empty conversation says so instead.
      await update({ messages: [] });
      expect(testid(el, 'history-start')).toBeNull();
      expect(el.querySelector('.empty')).not.toBeNull();
    });

    it('shows a failed load next to the messages, with the button to retry', async () => {
      const { el, olderAsked } = await render(
        chatUser({
          username: 'bob',
          messages: history(3),
          hasMoreMessages: true,
          olderError: 'Earlier messages could not be loaded.',
        }),
      );
      expect(testid(el, 'load-older-error')?.textContent).toContain(
        'Earlier messages could not be loaded.',
      );
      expect(testid(el, 'load-older-error')?.getAttribute('role')).toBe(
        'alert',
      );
      expect(el.querySelectorAll('[data-testid=message]')).toHaveLength(3);
      testid(el, 'load-older')?.click();
      expect(olderAsked.count).toBe(1);
    });

    it('asks when the user scrolls up to the top: not down, not while loading, not at the start', async () => {
      fakeLayout();
      const { olderAsked, scroller, scrollTo, update } = await render(
        chatUser({
          username: 'bob',
          messages: history(10),
          hasMoreMessages: true,
        }),
      );
      // Opened at the newest message: 30 + 10 × 20 - 100.
      expect(scroller.scrollTop).toBe(130);
      scrollTo(100);
      expect(olderAsked.count).toBe(0);
      scrollTo(40);
      expect(olderAsked.count).toBe(1);
      scrollTo(60);
      expect(olderAsked.count).toBe(1);

      await update({ loadingOlder: true });
      scrollTo(10);
      expect(olderAsked.count).toBe(1);

      // A failure is retried by the next scroll up, not by itself.
      await update({ loadingOlder: false, olderError: 'failed' });
      expect(olderAsked.count).toBe(1);
      scrollTo(100);
      scrollTo(0);
      expect(olderAsked.count).toBe(2);

      await update({ hasMoreMessages: false, olderError: null });
      scrollTo(100);
      scrollTo(0);
      expect(olderAsked.count).toBe(2);
    });

    it('asks at once when the messages fit without scrolling', async () => {
      fakeLayout(500);
      const { olderAsked, update } = await render(
        chatUser({
          username: 'bob',
          messages: history(3),
          hasMoreMessages: true,
        }),
      );
      expect(olderAsked.count).toBe(1);
      await update({ loadingOlder: true });
      await update({ loadingOlder: false, olderError: 'failed' });
      expect(olderAsked.count).toBe(1);
    });

    it('keeps the message the user looks at in place when older ones arrive above', async () => {
      fakeLayout();
      const latest = history(10, 100);
      const { el, scroller, scrollTo, update } = await render(
        chatUser({ username: 'bob', messages: latest, hasMoreMessages: true }),
      );
      // The user scrolls up: "message 101" (top 50) shows 5px below the top edge… minus 5.
      scrollTo(55);
      await update({ loadingOlder: true });
      expect(scroller.scrollTop).toBe(55);
      await update({
        loadingOlder: false,
        messages: [...history(5, 0), ...latest],
      });
      // Five 20px messages came above it: it moved down 100px, and so did the view.
      expect(scroller.scrollTop).toBe(155);
      const items = Array.from(el.querySelectorAll('[data-testid=message]'));
      expect(items[6].textContent).toContain('message 101');
    });

    it('does not pull a user reading older messages down to a new one, unless it is theirs', async () => {
      fakeLayout();
      const latest = history(10, 100);
      const { scroller, scrollTo, update } = await render(
        chatUser({ username: 'bob', messages: latest }),
      );
      scrollTo(55);
      const incoming = chatMessage('new from bob', false);
      await update({ messages: [...latest, incoming] });
      expect(scroller.scrollTop).toBe(55);
      await update({
        messages: [...latest, incoming, chatMessage('mine', true)],
      });
      expect(scroller.scrollTop).toBe(30 + 12 * 20 - 100);
    });
  });

  describe('the state of my messages', () => {
    const mine = [
      chatMessage('theirs', false, { id: 'm1' }),
      chatMessage('read', true, { id: 'm2' }),
      chatMessage('delivered', true, { id: 'm3' }),
      chatMessage('sent', true, { id: 'm4' }),
      chatMessage('sending', true, { id: 'p1', pending: true }),
      chatMessage('failed', true, { id: 'p2', pending: true, failed: true }),
    ];
    const withReceipts = chatUser({
      username: 'bob',
      messages: mine,
      receipts: { delivered: 'm3', read: 'm2' },
    });

    it('shows ticks (named for screen readers), "Seen" under the last read, Retry under a failed one', async () => {
      const { el, texts, fixture } = await render(withReceipts);
      const statuses = Array.from(
        el.querySelectorAll('[data-testid=message-status]'),
      );
      expect(statuses.map((n) => n.getAttribute('data-status'))).toEqual([
        'read',
        'delivered',
        'sent',
        'sending',
        'failed',
      ]);
      expect(texts('[data-testid=message-status]')).toEqual([
        'Read',
        'Delivered',
        'Sent',
        'Sending',
        'Not sent',
      ]);
      expect(texts('[data-testid=message-seen]')).toEqual(['Seen']);
      const items = el.querySelectorAll('[data-testid=message]');
      expect(
        items[1].querySelector('[data-testid=message-seen]'),
      ).not.toBeNull();
      expect(items[4].getAttribute('aria-busy')).toBe('true');
      expect(items[5].getAttribute('aria-busy')).toBeNull();
      const retried: string[] = [];
      fixture.componentInstance.retry.subscribe((m) => retried.push(m.id));
      el.querySelector<HTMLButtonElement>(
        '[data-testid=message-retry]',
      )?.click();
      expect(retried).toEqual(['p2']);
    });

    it('keeps the text of a message kept for Retry out of the field', async () => {
      const { fixture, textarea } = await render(withReceipts);
      fixture.componentRef.setInput('sendFailure', {
        kind: 'send',
        to: withReceipts.userID,
        content: 'failed',
        code: ErrorCode.Unavailable,
        message:
          'The server did not confirm the message after several attempts.',
        kept: true,
      });
      await fixture.whenStable();
      expect(textarea.value).toBe('');
    });
  });
});
