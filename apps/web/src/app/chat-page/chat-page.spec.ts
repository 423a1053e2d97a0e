import { TestBed } from '@angular/core/testing';
import { ChatEvent, type Message } from '@chat/contracts';
import { createChat } from '../testing/chat-harness';
import { ChatPage } from './chat-page';

describe('ChatPage', () => {
  beforeEach(() => localStorage.clear());

  async function render(
    bobMessages: Message[] = [],
    bobHasMore: boolean | undefined = undefined,
  ) {
    const { socket, connection, directory } = createChat();
    connection.selectUsername('alice');
    socket.connectOk();
    socket.serverEmit(ChatEvent.Session, {
      sessionID: 'sessAlice0123456789',
      userID: 'uAlice',
      username: 'alice',
    });
    socket.serverEmit(ChatEvent.Users, [
      {
        userID: 'uBob',
        username: 'bob',
        connected: true,
        messages: bobMessages,
        hasMoreMessages: bobHasMore,
      },
      { userID: 'uAlice', username: 'alice', connected: true, messages: [] },
    ]);
    const fixture = TestBed.createComponent(ChatPage);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const item = (name: string) =>
      el.querySelector<HTMLElement>(
        `[data-testid=user-item][data-username="${name}"]`,
      );
    return { socket, connection, directory, fixture, el, item };
  }

  it('lists users from the store, self first', async () => {
    const { el } = await render();
    const names = Array.from(
      el.querySelectorAll('[data-testid=user-item]'),
    ).map((i) => i.getAttribute('data-username'));
    expect(names).toEqual(['alice', 'bob']);
  });

  it('opens a conversation on click and sends through the store', async () => {
    const { socket, fixture, el, item } = await render();
    expect(el.querySelector('[data-testid=message-panel]')).toBeNull();
    expect(el.textContent).toContain('Select a user');

    socket.serverEmit(ChatEvent.PrivateMessage, {
      id: 'm1',
      from: 'uBob',
      to: 'uAlice',
      content: 'hello alice',
      at: '2024-01-01T12:00:00.000Z',
    });
    await fixture.whenStable();
    expect(
      item('bob')?.querySelector('[data-testid=unread-badge]'),
    ).not.toBeNull();

    item('bob')?.click();
    await fixture.whenStable();
    expect(item('bob')?.querySelector('[data-testid=unread-badge]')).toBeNull();
    const panel = el.querySelector('[data-testid=message-panel]');
    expect(
      panel?.querySelector('[data-testid=message-content]')?.textContent,
    ).toBe('hello alice');

    const textarea = el.querySelector<HTMLTextAreaElement>(
      '[data-testid=message-input]',
    );
    if (!textarea) throw new Error('no input');
    textarea.value = 'hi bob';
    textarea.dispatchEvent(new Event('input'));
    textarea.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Enter', cancelable: true }),
    );
    await fixture.whenStable();
    expect(socket.sent.map((s) => s.payload)).toEqual([
      { content: 'hi bob', to: 'uBob', clientMessageId: expect.any(String) },
    ]);
    const contents = Array.from(
      el.querySelectorAll('[data-testid=message-content]'),
    ).map((n) => n.textContent);
    expect(contents).toEqual(['hello alice', 'hi bob']);
  });

  it('loads earlier messages of the open conversation through the store', async () => {
    const at = '2024-01-01T12:00:00.000Z';
    const { socket, fixture, el, item } = await render(
      [{ id: 'm5', from: 'uBob', to: 'uAlice', content: 'latest', at }],
      true,
    );
    item('bob')?.click();
    await fixture.whenStable();
    el.querySelector<HTMLElement>('[data-testid=load-older]')?.click();
    await fixture.whenStable();
    expect(socket.sent.map((s) => [s.event, s.payload])).toEqual([
      [ChatEvent.FetchMessages, { userID: 'uBob', before: 'm5' }],
    ]);
    expect(el.querySelector('[data-testid=loading-older]')).not.toBeNull();

    socket.sent[0].ack({
      ok: true,
      messages: [
        { id: 'm1', from: 'uAlice', to: 'uBob', content: 'first', at },
      ],
      hasMore: false,
    });
    await Promise.resolve(); // the store's `.then` on the acknowledgement
    await fixture.whenStable();
    const contents = Array.from(
      el.querySelectorAll('[data-testid=message-content]'),
    ).map((n) => n.textContent);
    expect(contents).toEqual(['first', 'latest']);
    expect(el.querySelector('[data-testid=history-start]')).not.toBeNull();
    expect(el.querySelector('[data-testid=load-older]')).toBeNull();
  });

  it('logs out back to nothing', async () => {
    const { connection, fixture, el } = await render();
    el.querySelector<HTMLButtonElement>('[data-testid=logout]')?.click();
    await fixture.whenStable();
    expect(connection.view()).toBe('select-username');
    expect(el.querySelectorAll('[data-testid=user-item]')).toHaveLength(0);
  });

  it('loads more of the directory and searches it through the store', async () => {
    const { socket, directory, fixture, el } = await render();
    socket.userFetches[0].ack({
      ok: true,
      users: [
        { userID: 'uAnn', username: 'ann', connected: true, messages: [] },
      ],
      next: 'c1',
    });
    // The store's `.catch` and `.then` on the acknowledgement.
    await Promise.resolve();
    await Promise.resolve();
    await fixture.whenStable();
    const shown = () =>
      Array.from(el.querySelectorAll('[data-testid=user-item]')).map((i) =>
        i.getAttribute('data-username'),
      );
    expect(shown()).toEqual(['alice', 'ann', 'bob']);
    el.querySelector<HTMLElement>('[data-testid=directory-more]')?.click();
    await fixture.whenStable();
    expect(socket.userFetches.map((f) => f.payload)).toEqual([
      {},
      { after: 'c1' },
    ]);
    expect(el.querySelector('[data-testid=directory-loading]')).not.toBeNull();

    const search = el.querySelector<HTMLInputElement>(
      '[data-testid=user-search]',
    );
    if (!search) throw new Error('no search field');
    search.value = 'an';
    search.dispatchEvent(new Event('input'));
    await fixture.whenStable();
    expect(directory.searchText()).toBe('an');
    expect(shown()).toEqual(['ann']);
  });
});
