import { TestBed } from '@angular/core/testing';
import { ErrorCode, MESSAGE_MAX_LENGTH } from '@chat/contracts';
import type { ChatUser, SendFailure } from '../chat/chat.models';
import { chatMessage, chatUser } from '../chat/testing/chat-fixtures';
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
    user: ChatUser = bob,
    sendFailure: SendFailure | null = null,
  ) {
    const fixture = TestBed.createComponent(MessagePanel);
    fixture.componentRef.setInput('user', user);
    fixture.componentRef.setInput('sendFailure', sendFailure);
    const sent: string[] = [];
    fixture.componentInstance.send.subscribe((content) => sent.push(content));
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
    return { fixture, el, textarea, button, sent, type, press, texts };
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

  it('labels the sender only where it changes, "yourself" for own messages', async () => {
    const { el } = await render();
    const labels = Array.from(el.querySelectorAll('[data-testid=message]')).map(
      (m) =>
        m.querySelector('[data-testid=message-sender]')?.textContent?.trim() ??
        null,
    );
    expect(labels).toEqual(['bob', null, 'yourself', 'bob']);
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
});
