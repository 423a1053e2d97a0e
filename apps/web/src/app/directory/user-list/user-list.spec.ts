import { TestBed } from '@angular/core/testing';
import type { ChatUser } from '../../conversations/conversation.models';
import type { DirectoryView } from '../directory.models';
import { chatUser } from '../../testing/chat-fixtures';
import { UserList } from './user-list';

describe('UserList', () => {
  const users: ChatUser[] = [
    chatUser({ username: 'alice', self: true }),
    chatUser({ username: 'bob', hasNewMessages: true }),
    chatUser({ username: 'carol', connected: false }),
  ];

  async function render(selectedUserID: string | null = null) {
    const fixture = TestBed.createComponent(UserList);
    fixture.componentRef.setInput('users', users);
    fixture.componentRef.setInput('selectedUserID', selectedUserID);
    const selected: string[] = [];
    fixture.componentInstance.selectUser.subscribe((id) => selected.push(id));
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
    return { fixture, items, item, selected };
  }

  it('renders users in the given order with their names as attributes', async () => {
    const { items } = await render();
    expect(items.map((i) => i.getAttribute('data-username'))).toEqual([
      'alice',
      'bob',
      'carol',
    ]);
  });

  it('marks self with "(yourself)" and data-self', async () => {
    const { item } = await render();
    expect(item('alice').textContent).toContain('alice (yourself)');
    expect(item('alice').getAttribute('data-self')).toBe('true');
    expect(item('bob').textContent).not.toContain('(yourself)');
    expect(item('bob').hasAttribute('data-self')).toBe(false);
  });

  it('says online or offline, exactly', async () => {
    const { item } = await render();
    const status = (name: string) =>
      item(name)
        .querySelector('[data-testid=user-status]')
        ?.textContent?.trim();
    expect(status('bob')).toBe('online');
    expect(status('carol')).toBe('offline');
    expect(item('bob').querySelector('chat-status-icon')?.classList).toContain(
      'connected',
    );
    expect(
      item('carol').querySelector('chat-status-icon')?.classList,
    ).not.toContain('connected');
  });

  it('shows the unread badge only where there are new messages', async () => {
    const { item } = await render();
    expect(
      item('bob').querySelector('[data-testid=unread-badge]'),
    ).not.toBeNull();
    expect(
      item('alice').querySelector('[data-testid=unread-badge]'),
    ).toBeNull();
    expect(
      item('carol').querySelector('[data-testid=unread-badge]'),
    ).toBeNull();
  });

  it('emits the clicked user and highlights the selected one', async () => {
    const { item, selected } = await render('ucarol');
    item('bob').click();
    expect(selected).toEqual(['ubob']);
    expect(item('carol').classList).toContain('selected');
    expect(item('carol').getAttribute('aria-current')).toBe('true');
    expect(item('bob').classList).not.toContain('selected');
  });

  it('shows a stand-in for a sender not known yet', async () => {
    const fixture = TestBed.createComponent(UserList);
    fixture.componentRef.setInput('users', [
      chatUser({ username: '', userID: 'uZoe', placeholder: true }),
    ]);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    expect(el.querySelector('[data-testid=user-item]')?.textContent).toContain(
      'Someone new…',
    );
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
    users: ChatUser[] = [
      chatUser({ username: 'alice', self: true }),
      chatUser({ username: 'bob' }),
    ],
  ) {
    const fixture = TestBed.createComponent(UserList);
    fixture.componentRef.setInput('users', users);
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
