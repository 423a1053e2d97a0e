import { TestBed } from '@angular/core/testing';
import {
  Router,
  provideRouter,
  withComponentInputBinding,
  withDisabledInitialNavigation,
} from '@angular/router';
import { ChatEvent, INVALID_USERNAME } from '@chat/contracts';
import { App } from './app';
import { routes } from './app.routes';
import { CHAT_SOCKET } from './core/chat-socket';
import { provideChatStores } from './provide-chat';
import { FakeChatSocket } from './testing/fake-chat-socket';

describe('App', () => {
  async function render() {
    localStorage.clear();
    const socket = new FakeChatSocket();
    TestBed.configureTestingModule({
      providers: [
        { provide: CHAT_SOCKET, useValue: socket },
        provideChatStores(),
        provideRouter(
          routes,
          withComponentInputBinding(),
          withDisabledInitialNavigation(),
        ),
      ],
    });
    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const $ = (testId: string) =>
      el.querySelector<HTMLElement>(`[data-testid=${testId}]`);
    const signIn = async (name: string) => {
      const input = $('username-input') as HTMLInputElement;
      input.value = name;
      input.dispatchEvent(new Event('input'));
      await fixture.whenStable();
      $('username-submit')?.click();
      await fixture.whenStable();
    };
    return { socket, fixture, $, signIn };
  }

  it('starts on the username form, in the main landmark under a heading', async () => {
    const { $, fixture } = await render();
    expect($('username-input')).not.toBeNull();
    expect($('user-item')).toBeNull();
    const el = fixture.nativeElement as HTMLElement;
    expect(el.querySelector('main h1')?.textContent?.trim()).toBe(
      'Private chat',
    );
    // The form does not wait for the chat's code: the router starts with the chat.
    expect(TestBed.inject(Router).navigated).toBe(false);
  });

  it('goes to the chat once a name is chosen, with a banner only while the link is down', async () => {
    const { socket, fixture, $, signIn } = await render();
    await signIn('alice');
    expect($('username-input')).toBeNull();
    socket.connectOk();
    socket.serverEmit(ChatEvent.Session, {
      sessionID: 'sessAlice0123456789',
      userID: 'uAlice',
      username: 'alice',
    });
    socket.serverEmit(ChatEvent.Users, [
      { userID: 'uAlice', username: 'alice', connected: true, messages: [] },
    ]);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    expect($('self')?.getAttribute('data-username')).toBe('alice');
    expect($('self-status')?.textContent?.trim()).toBe('online');
    expect($('connection-banner')).toBeNull();
    expect(el.querySelector('main h1')?.textContent?.trim()).toBe('Chats');

    socket.drop();
    await fixture.whenStable();
    expect($('connection-banner')).not.toBeNull();
    expect($('self-status')?.textContent?.trim()).toBe('offline');

    socket.connectOk();
    await fixture.whenStable();
    expect($('connection-banner')).toBeNull();
  });

  it('returns to the form with the reason when the server refuses the name', async () => {
    const { socket, fixture, $, signIn } = await render();
    await signIn('alice');
    socket.refuse(INVALID_USERNAME, { reason: 'username is reserved' });
    await fixture.whenStable();
    expect($('username-error')?.textContent?.trim()).toBe(
      'username is reserved',
    );
  });
});
