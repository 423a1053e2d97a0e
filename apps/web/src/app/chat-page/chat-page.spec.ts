import { TestBed } from '@angular/core/testing';
import { Title } from '@angular/platform-browser';
import { Router } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { ChatEvent, type Message } from '@chat/contracts';
import { routes } from '../app.routes';
import { NOTIFICATION_API } from '../notifications/notifications.store';
import { ALICE, createChat, settle, view } from '../testing/chat-harness';
import { FakeNotification, setVisibility } from '../testing/fake-notification';
import { provideTestUi } from '../testing/test-ui';
import { ChatPage } from './chat-page';

describe('ChatPage', () => {
  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    FakeNotification.reset();
  });
  afterEach(() => setVisibility('visible'));

  const at = (minute: number) =>
    new Date(Date.UTC(2026, 10, 30, 17, minute)).toISOString();
  const msg = (
    id: string,
    from: string,
    to: string,
    content: string,
    minute: number,
  ): Message => ({ id, from, to, content, at: at(minute) });

  async function render(
    url = '/',
    bobMessages: Message[] = [],
    bobHasMore: boolean | undefined = undefined,
  ) {
    const chat = createChat({
      providers: [
        ...provideTestUi(undefined, routes),
        { provide: NOTIFICATION_API, useValue: FakeNotification },
      ],
    });
    const { socket, connection } = chat;
    connection.selectUsername('alice');
    socket.connectOk();
    socket.serverEmit(ChatEvent.Session, ALICE);
    socket.serverEmit(ChatEvent.Users, [
      view('uBob', 'bob', true, bobMessages, bobHasMore),
      view('uCarol', 'carol', false, [
        msg('m0001', 'uCarol', 'uAlice', 'hello from carol', 1),
      ]),
      view('uAlice', 'alice'),
    ]);
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl(url, ChatPage);
    const el = harness.routeNativeElement as HTMLElement;
    const $ = (testId: string) =>
      el.querySelector<HTMLElement>(`[data-testid=${testId}]`);
    const item = (name: string) =>
      el.querySelector<HTMLElement>(
        `[data-testid=user-item][data-username="${name}"]`,
      );
    const rows = () =>
      Array.from(el.querySelectorAll('[data-testid=user-item]')).map((i) =>
        i.getAttribute('data-username'),
      );
    const stable = () => harness.fixture.whenStable();
    const router = TestBed.inject(Router);
    return { ...chat, harness, el, $, item, rows, stable, router };
  }

  it('shows ourselves once, in the header, and the list: conversations first, then people', async () => {
    const { $, rows, el } = await render('/', [
      msg('m0002', 'uBob', 'uAlice', 'latest', 5),
    ]);
    expect($('self')?.getAttribute('data-username')).toBe('alice');
    expect($('self-name')?.textContent?.trim()).toBe('alice');
    expect(rows()).toEqual(['bob', 'carol']);
    expect(el.querySelector('h1')?.textContent?.trim()).toBe('Chats');
    expect(el.textContent).toContain('Select a conversation');
  });

  it('opens a conversation by its link, puts the focus in the field, and sends through the store', async () => {
    const { socket, $, item, stable, router, el } = await render('/', [
      msg('m0002', 'uBob', 'uAlice', 'hello alice', 5),
    ]);
    expect($('message-panel')).toBeNull();
    expect(
      item('bob')?.querySelector('[data-testid=unread-badge]'),
    ).not.toBeNull();

    item('bob')?.click();
    await stable();
    expect(router.url).toBe('/chat/uBob');
    expect(item('bob')?.querySelector('[data-testid=unread-badge]')).toBeNull();
    expect($('message-content')?.textContent).toBe('hello alice');
    const textarea = el.querySelector<HTMLTextAreaElement>(
      '[data-testid=message-input]',
    );
    if (!textarea) throw new Error('no input');
    expect(document.activeElement).toBe(textarea);

    textarea.value = 'hi bob';
    textarea.dispatchEvent(new Event('input'));
    textarea.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Enter', cancelable: true }),
    );
    await stable();
    expect(socket.sent.map((s) => s.payload)).toEqual([
      { content: 'hi bob', to: 'uBob', clientMessageId: expect.any(String) },
    ]);
    const contents = Array.from(
      el.querySelectorAll('[data-testid=message-content]'),
    ).map((n) => n.textContent);
    expect(contents).toEqual(['hello alice', 'hi bob']);
  });

  it('opens the conversation a URL names, and closes it at /', async () => {
    const { harness, $, conversations } = await render('/chat/uCarol');
    expect($('peer-name')?.textContent?.trim()).toBe('carol');
    expect(conversations.selectedUserID()).toBe('uCarol');
    await harness.navigateByUrl('/');
    expect($('message-panel')).toBeNull();
    expect(conversations.selection()).toBe('none');
  });

  it('says so for a conversation that does not exist, with the way back', async () => {
    const { socket, $, stable, router } = await render('/chat/uNobody');
    expect($('conversation-missing')).toBeNull();
    socket.userFetches
      .find((f) => 'userIDs' in (f.payload as object))
      ?.ack({ ok: true, users: [] });
    await settle();
    await stable();
    expect($('conversation-missing')?.textContent).toContain(
      'This conversation does not exist',
    );
    $('back-to-chats')?.click();
    await stable();
    expect(router.url).toBe('/');
  });

  it('loads earlier messages of the open conversation through the store', async () => {
    const { socket, $, stable, el } = await render(
      '/chat/uBob',
      [msg('m0005', 'uBob', 'uAlice', 'latest', 5)],
      true,
    );
    $('load-older')?.click();
    await stable();
    expect(socket.sent.map((s) => [s.event, s.payload])).toEqual([
      [ChatEvent.FetchMessages, { userID: 'uBob', before: 'm0005' }],
    ]);
    expect($('loading-older')).not.toBeNull();
    socket.sent[0].ack({
      ok: true,
      messages: [msg('m0001', 'uAlice', 'uBob', 'first', 1)],
      hasMore: false,
    });
    await settle();
    await stable();
    const contents = Array.from(
      el.querySelectorAll('[data-testid=message-content]'),
    ).map((n) => n.textContent);
    expect(contents).toEqual(['first', 'latest']);
    expect($('history-start')).not.toBeNull();
  });

  it('announces messages from others in a polite live region', async () => {
    const { socket, $, stable } = await render('/chat/uBob');
    const region = $('announcer');
    expect(region?.getAttribute('aria-live')).toBe('polite');
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      msg('m0009', 'uBob', 'uAlice', 'are you there?', 9),
    );
    await stable();
    expect(region?.textContent?.trim()).toBe('bob: are you there?');
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      msg('m0010', 'uCarol', 'uAlice', 'ping', 10),
    );
    await stable();
    expect(region?.textContent?.trim()).toBe('New message from carol: ping');
  });

  it('shows who is writing in the header and in their row, and says our typing through the store', async () => {
    const { socket, $, item, stable, el } = await render('/chat/uBob', [
      msg('m0002', 'uBob', 'uAlice', 'hello alice', 5),
    ]);
    expect($('peer-typing')).toBeNull();
    socket.serverEmit(ChatEvent.Typing, { userID: 'uBob', typing: true });
    await stable();
    expect($('peer-typing')?.textContent?.trim()).toBe('typing…');
    expect($('peer-presence')).toBeNull();
    expect(
      item('bob')?.querySelector('[data-testid=user-typing]')?.textContent,
    ).toBe('typing…');
    expect(item('bob')?.querySelector('[data-testid=user-preview]')).toBeNull();
    socket.serverEmit(ChatEvent.Typing, { userID: 'uBob', typing: false });
    await stable();
    expect($('peer-typing')).toBeNull();
    expect($('peer-presence')?.textContent?.trim()).toBe('online');
    expect(
      item('bob')?.querySelector('[data-testid=user-preview]')?.textContent,
    ).toBe('hello alice');

    const textarea = el.querySelector<HTMLTextAreaElement>(
      '[data-testid=message-input]',
    );
    if (!textarea) throw new Error('no input');
    textarea.value = 'hi';
    textarea.dispatchEvent(new Event('input'));
    textarea.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Enter', cancelable: true }),
    );
    await stable();
    expect(socket.volatileSent.map((e) => e.payload)).toEqual([
      { to: 'uBob', typing: true },
      { to: 'uBob', typing: false },
    ]);
  });

  it('asks for the permission to notify from a button only, and a clicked notification opens its conversation', async () => {
    const { socket, $, stable, router } = await render('/');
    expect(FakeNotification.requests).toBe(0);
    $('notifications-enable')?.click();
    await settle();
    await stable();
    expect(FakeNotification.requests).toBe(1);
    expect($('notifications-prompt')).toBeNull();

    setVisibility('hidden');
    socket.serverEmit(
      ChatEvent.PrivateMessage,
      msg('m0009', 'uBob', 'uAlice', 'are you there?', 9),
    );
    const [notification] = FakeNotification.created;
    expect(notification.title).toBe('bob');
    const focus = jest
      .spyOn(window, 'focus')
      .mockImplementation(() => undefined);
    notification.click();
    await stable();
    expect(focus).toHaveBeenCalled();
    expect(router.url).toBe('/chat/uBob');
    focus.mockRestore();
  });

  it('mutes a conversation from its header, marked in its row', async () => {
    const { $, item, stable, notifications } = await render('/chat/uCarol');
    const toggle = $('mute-toggle');
    expect(toggle?.getAttribute('aria-pressed')).toBe('false');
    expect(toggle?.textContent?.trim()).toBe('Mute notifications');
    expect(item('carol')?.querySelector('[data-testid=user-muted]')).toBeNull();
    toggle?.click();
    await stable();
    expect([...notifications.muted()]).toEqual(['uCarol']);
    expect(toggle?.getAttribute('aria-pressed')).toBe('true');
    expect(
      item('carol')?.querySelector('[data-testid=user-muted]'),
    ).not.toBeNull();
    expect(item('carol')?.textContent).toContain(', muted');
    toggle?.click();
    await stable();
    expect([...notifications.muted()]).toEqual([]);
  });

  it('puts the unread count in the tab title', async () => {
    const { stable, harness } = await render('/');
    const title = TestBed.inject(Title);
    expect(title.getTitle()).toBe('(1) Private chat');
    await harness.navigateByUrl('/chat/uCarol');
    await stable();
    expect(title.getTitle()).toBe('Private chat');
  });

  it('logs out back to nothing, at /', async () => {
    const { connection, $, stable, router } = await render('/chat/uBob');
    $('logout')?.click();
    await stable();
    expect(connection.view()).toBe('select-username');
    expect(router.url).toBe('/');
  });

  it('loads more of the directory and searches it through the store', async () => {
    const { socket, directory, el, $, rows, stable } = await render();
    socket.userFetches[0].ack({
      ok: true,
      users: [view('uAnn', 'ann')],
      next: 'c1',
    });
    await settle();
    await stable();
    expect(rows()).toEqual(['carol', 'ann', 'bob']);
    $('directory-more')?.click();
    await stable();
    expect(socket.userFetches.map((f) => f.payload)).toEqual([
      {},
      { after: 'c1' },
    ]);
    expect($('directory-loading')).not.toBeNull();

    const search = el.querySelector<HTMLInputElement>(
      '[data-testid=user-search]',
    );
    if (!search) throw new Error('no search field');
    search.value = 'an';
    search.dispatchEvent(new Event('input'));
    await stable();
    expect(directory.searchText()).toBe('an');
    expect(rows()).toEqual(['ann']);
  });
});
