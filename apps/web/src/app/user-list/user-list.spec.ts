import { TestBed } from '@angular/core/testing';
import type { ChatUser } from '../chat/chat.models';
import { chatUser } from '../chat/testing/chat-fixtures';
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
});
