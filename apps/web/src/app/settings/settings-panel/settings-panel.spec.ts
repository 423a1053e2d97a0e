import { TestBed } from '@angular/core/testing';
import { provideTestUi } from '../../testing/test-ui';
import {
  type SettingName,
  SettingsPanel,
  type SettingsView,
} from './settings-panel';

// jsdom has no modal dialogs: the little of them the panel uses.
beforeAll(() => {
  const proto = HTMLDialogElement.prototype;
  proto.showModal ??= function (this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  proto.close ??= function (this: HTMLDialogElement) {
    this.removeAttribute('open');
    this.dispatchEvent(new Event('close'));
  };
});

describe('SettingsPanel', () => {
  const view: SettingsView = {
    readReceipts: true,
    typingIndicators: false,
    notifications: true,
    notificationsBlocked: false,
    saving: false,
    error: null,
  };

  async function render(settings: SettingsView = view) {
    TestBed.configureTestingModule({ providers: provideTestUi() });
    const fixture = TestBed.createComponent(SettingsPanel);
    fixture.componentRef.setInput('settings', settings);
    const changes: { setting: SettingName; on: boolean }[] = [];
    fixture.componentInstance.changed.subscribe((c) => changes.push(c));
    let closed = 0;
    fixture.componentInstance.closed.subscribe(() => closed++);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const toggle = (testId: string) => {
      const input = el.querySelector<HTMLInputElement>(
        `[data-testid=${testId}]`,
      );
      if (!input) throw new Error(`no ${testId}`);
      return input;
    };
    return { fixture, el, toggle, changes, closed: () => closed };
  }

  it('shows each switch as set, labelled and described', async () => {
    const { toggle, el } = await render();
    expect(toggle('setting-read-receipts').checked).toBe(true);
    expect(toggle('setting-typing').checked).toBe(false);
    expect(toggle('setting-notifications').checked).toBe(true);
    for (const id of [
      'setting-read-receipts',
      'setting-typing',
      'setting-notifications',
    ]) {
      const input = toggle(id);
      expect(input.getAttribute('role')).toBe('switch');
      expect(input.closest('label')?.textContent).toMatch(/\w/);
      const hint = input.getAttribute('aria-describedby');
      expect(hint && el.querySelector(`#${hint}`)).toBeTruthy();
    }
  });

  it('says where to allow notifications when the browser blocks them', async () => {
    const { fixture, el, toggle } = await render();
    expect(el.querySelector('[data-testid=notifications-blocked]')).toBeNull();
    fixture.componentRef.setInput('settings', {
      ...view,
      notificationsBlocked: true,
    });
    await fixture.whenStable();
    const hint = toggle('setting-notifications').getAttribute(
      'aria-describedby',
    );
    expect(el.querySelector(`#${hint}`)?.textContent).toMatch(
      /Blocked by this browser. To get them, allow notifications in the browser’s settings for this site./,
    );
  });

  it('reports each switch turned', async () => {
    const { toggle, changes } = await render();
    toggle('setting-typing').click();
    toggle('setting-read-receipts').click();
    expect(changes).toEqual([
      { setting: 'typingIndicators', on: true },
      { setting: 'readReceipts', on: false },
    ]);
  });

  it('says "Saving…" while a change is on its way, and why one did not apply', async () => {
    const { fixture, el } = await render({ ...view, saving: true });
    const status = () =>
      el.querySelector('[data-testid=settings-status]')?.textContent?.trim();
    expect(status()).toBe('Saving…');
    fixture.componentRef.setInput('settings', {
      ...view,
      error: 'Too many changes: wait a moment and try again.',
    });
    await fixture.whenStable();
    expect(status()).toBe('Too many changes: wait a moment and try again.');
  });

  it('opens as a modal dialog and says when it is closed', async () => {
    const { el, closed } = await render();
    expect(el.querySelector('dialog')?.hasAttribute('open')).toBe(true);
    el.querySelector<HTMLButtonElement>(
      '[data-testid=settings-close]',
    )?.click();
    expect(closed()).toBe(1);
  });
});
