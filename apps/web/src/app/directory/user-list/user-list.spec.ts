import { TestBed } from '@angular/core/testing';
import type { ChatUser } from '../../conversations/conversation.models';
import type { DirectoryView } from '../directory.models';
import { chatMessage, chatUser } from '../../testing/chat-fixtures';
import { provideTestUi } from '../../testing/test-ui';
import { UserList } from './user-list';

beforeEach(() =>
  TestBed.configureTestingModule({ providers: provideTestUi() }),
);

describe('UserList', () => {
  const at = (iso: string) => ({ at: iso });
  const chats: ChatUser[] = [
    chatUser({
      username: 'bob',
      hasNewMessages: true,
      unreadCount: 2,
      messages: [
        chatMessage('first', false, at('2026-11-30T16:00:00.000Z')),
        chatMessage(
          'see you at https://example.org',
          false,
          at('2026-11-30T17:05:00.000Z'),
        ),
      ],
    }),
    chatUser({
      username: 'carol',
      connected: false,
      messages: [chatMessage('thanks!', true, at('2026-11-29T10:00:00.000Z'))],
    }),
  ];
  const people: ChatUser[] = [
    chatUser({ username: 'dan' }),
    chatUser({
      username: 'erin',
      connected: false,
      lastSeen: '2026-11-30T17:55:00.000Z',
    }),
    chatUser({ username: 'fay', connected: false }),
  ];

  async function render(selectedUserID: string | null = null) {
    const fixture = TestBed.createComponent(UserList);
    fixture.componentRef.setInput('chats', chats);
    fixture.componentRef.setInput('people', people);
    fixture.componentRef.setInput('selectedUserID', selectedUserID);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const items = Array.from(
      el.querySelectorAll<HTMLElement>('[data-testid=user-item]'),
    );
    const item = (name: string) => {
      const found = el.querySelector<HTMLElement>(
        `[data-testid=user-item][data-username="${name}"]`,
      );
      if (!found) throw new Error(`no item ${name}`);
      return found;
    };
    const text = (name: string, testId: string) =>
      item(name)
        .querySelector(`[data-testid=${testId}]`)
        ?.textContent?.replace(/\s+/g, ' ')
        .trim();
    return { fixture, el, items, item, text };
  }

  it('lists the conversations first, then the people under their heading, names as attributes', async () => {
    const { el, items } = await render();
    expect(items.map((i) => i.getAttribute('data-username'))).toEqual([
      'bob',
      'carol',
      'dan',
      'erin',
      'fay',
    ]);
    expect(el.querySelector('h2')?.textContent?.trim()).toBe('People');
  });

  it('links each row to its conversation', async () => {
    const { item } = await render();
    expect(item('bob').getAttribute('href')).toBe('/chat/ubob');
    expect(item('dan').getAttribute('href')).toBe('/chat/udan');
  });

  it('shows a conversation with its latest message (ours prefixed) and its time', async () => {
    const { item, text } = await render();
    expect(text('bob', 'user-preview')).toBe('see you at https://example.org');
    expect(item('bob').querySelector('time')?.getAttribute('datetime')).toBe(
      '2026-11-30T17:05:00.000Z',
    );
    expect(item('bob').querySelector('time')?.textContent?.trim()).toBe(
      '17:05',
    );
    expect(text('carol', 'user-preview')).toBe('You: thanks!');
    expect(item('carol').querySelector('time')?.textContent?.trim()).toBe(
      'Yesterday',
    );
  });

  it('ticks the latest message where it is mine, as the conversation does', async () => {
    const { item } = await render();
    const tick = (name: string) =>
      item(name).querySelector('[data-testid=user-preview-status]');
    expect(tick('bob')).toBeNull();
    expect(tick('carol')?.getAttribute('data-status')).toBe('sent');
    expect(tick('carol')?.getAttribute('aria-hidden')).toBe('true');
    expect(item('carol').textContent).toContain('offline, sent');

    const fixture = TestBed.createComponent(UserList);
    const mine = chatMessage('read it?', true);
    fixture.componentRef.setInput('chats', [
      chatUser({
        username: 'gus',
        messages: [mine],
        receipts: { read: mine.id },
      }),
      chatUser({
        username: 'hal',
        messages: [chatMessage('oops', true, { failed: true })],
      }),
    ]);
    fixture.componentRef.setInput('people', []);
    await fixture.whenStable();
    const statuses = Array.from(
      (fixture.nativeElement as HTMLElement).querySelectorAll(
        '[data-testid=user-preview-status]',
      ),
      (el) => el.getAttribute('data-status'),
    );
    expect(statuses).toEqual(['read', 'failed']);
  });

  it("says everyone's presence in one word for tests and screen readers, and last seen in words", async () => {
    const { text } = await render();
    expect(text('bob', 'user-status')).toBe('online');
    expect(text('carol', 'user-status')).toBe('offline');
    expect(text('dan', 'user-preview')).toBe('online');
    expect(text('erin', 'user-status')).toBe('offline');
    expect(text('erin', 'user-preview')).toBe('last seen 5 minutes ago');
    expect(text('fay', 'user-preview')).toBe('offline');
  });

  it('counts unread messages where there are some', async () => {
    const { item, text } = await render();
    expect(text('bob', 'unread-badge')).toBe('2 unread');
    expect(
      item('carol').querySelector('[data-testid=unread-badge]'),
    ).toBeNull();
    expect(item('dan').querySelector('[data-testid=unread-badge]')).toBeNull();
  });

  it('highlights the selected conversation', async () => {
    const { item } = await render('ucarol');
    expect(item('carol').classList).toContain('selected');
    expect(item('carol').getAttribute('aria-current')).toBe('page');
    expect(item('bob').classList).not.toContain('selected');
    expect(item('bob').hasAttribute('aria-current')).toBe(false);
  });

  it('shows the disambiguated names', async () => {
    const fixture = TestBed.createComponent(UserList);
    fixture.componentRef.setInput('chats', []);
    fixture.componentRef.setInput('people', [
      chatUser({
        username: 'dave',
        userID: 'a1b2c3',
        displayName: 'dave (#a1b2)',
      }),
      chatUser({
        username: 'Dave',
        userID: 'z9y8x7',
        displayName: 'Dave (#z9y8)',
      }),
    ]);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    expect(
      Array.from(el.querySelectorAll('[data-testid=user-name]')).map((n) =>
        n.textContent?.trim(),
      ),
    ).toEqual(['dave (#a1b2)', 'Dave (#z9y8)']);
  });

  it('shows a stand-in for a sender not known yet', async () => {
    const fixture = TestBed.createComponent(UserList);
    fixture.componentRef.setInput('chats', [
      chatUser({
        username: '',
        userID: 'uZoe',
        placeholder: true,
        messages: [chatMessage('hi', false)],
      }),
    ]);
    fixture.componentRef.setInput('people', []);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    expect(el.querySelector('[data-testid=user-item]')?.textContent).toContain(
      'Someone new…',
    );
  });

  it('says when nobody else is here, or while connecting', async () => {
    const fixture = TestBed.createComponent(UserList);
    fixture.componentRef.setInput('chats', []);
    fixture.componentRef.setInput('people', []);
    fixture.componentRef.setInput('directory', {
      searching: false,
      more: false,
      loading: false,
      error: null,
    });
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    expect(el.textContent).toContain('Nobody else is here yet.');
    fixture.componentRef.setInput('connected', false);
    await fixture.whenStable();
    expect(el.textContent).toContain('Connecting…');
  });
});

describe('UserList: directory', () => {
  const idle: DirectoryView = {
    searching: false,
    more: true,
    loading: false,
    error: null,
  };

  async function render(
    directory: Partial<DirectoryView> = {},
    people: ChatUser[] = [
      chatUser({ username: 'ann' }),
      chatUser({ username: 'bob' }),
    ],
  ) {
    const fixture = TestBed.createComponent(UserList);
    fixture.componentRef.setInput('chats', []);
    fixture.componentRef.setInput('people', people);
    fixture.componentRef.setInput('directory', { ...idle, ...directory });
    fixture.componentRef.setInput('searchText', 'b');
    const loads: number[] = [];
    const searches: string[] = [];
    fixture.componentInstance.loadMore.subscribe(() => loads.push(1));
    fixture.componentInstance.searchTextChange.subscribe((text) =>
      searches.push(text),
    );
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const byTestId = (id: string) =>
      el.querySelector<HTMLElement>(`[data-testid=${id}]`);
    return { fixture, el, loads, searches, byTestId };
  }

  it('offers more users with a button while the directory has more', async () => {
    const { loads, byTestId } = await render();
    expect(byTestId('directory-more')?.textContent?.trim()).toBe('More users');
    expect(byTestId('directory-loading')).toBeNull();
    expect(byTestId('directory-end')).toBeNull();
    byTestId('directory-more')?.click();
    expect(loads).toHaveLength(1);
  });

  it('shows the loading row instead of the button while a page comes', async () => {
    const { byTestId } = await render({ loading: true });
    expect(byTestId('directory-loading')).not.toBeNull();
    expect(byTestId('directory-more')).toBeNull();
  });

  it('shows an error with a button to try again', async () => {
    const { loads, byTestId } = await render({
      error: 'Users could not be loaded.',
    });
    expect(byTestId('directory-error')?.textContent).toContain(
      'could not be loaded',
    );
    expect(byTestId('directory-more')?.textContent?.trim()).toBe('Try again');
    byTestId('directory-more')?.click();
    expect(loads).toHaveLength(1);
  });

  it('says when everyone is listed, or no user matches a search', async () => {
    const end = await render({ more: false });
    expect(end.byTestId('directory-end')?.textContent).toContain(
      'Everyone is listed',
    );
    expect(end.byTestId('directory-more')).toBeNull();
    const none = await render({ more: false, searching: true }, []);
    expect(none.el.textContent).toContain('No user by that name');
    expect(none.byTestId('directory-end')).toBeNull();
  });

  it('shows the search text and emits what is typed', async () => {
    const { searches, byTestId } = await render();
    const input = byTestId('user-search') as HTMLInputElement;
    expect(input.value).toBe('b');
    input.value = 'bo';
    input.dispatchEvent(new Event('input'));
    expect(searches).toEqual(['bo']);
  });

  it('asks for more on scrolling to the end, not before, and not after a failure', async () => {
    const scrolled = async (directory: Partial<DirectoryView>, top: number) => {
      const view = await render(directory);
      const scroller = view.el.querySelector<HTMLElement>('.scroller');
      if (!scroller) throw new Error('no scroller');
      Object.defineProperty(scroller, 'clientHeight', { value: 400 });
      Object.defineProperty(scroller, 'scrollHeight', { value: 2000 });
      scroller.scrollTop = top;
      scroller.dispatchEvent(new Event('scroll'));
      return view.loads.length;
    };
    expect(await scrolled({}, 800)).toBe(0);
    expect(await scrolled({}, 1600)).toBe(1);
    expect(await scrolled({ loading: true }, 1600)).toBe(0);
    expect(await scrolled({ error: 'failed' }, 1600)).toBe(0);
    expect(await scrolled({ more: false }, 1600)).toBe(0);
  });
});
