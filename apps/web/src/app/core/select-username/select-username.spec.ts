import { TestBed } from '@angular/core/testing';
import { SelectUsername } from './select-username';

describe('SelectUsername', () => {
  async function render(error: string | null = null) {
    const fixture = TestBed.createComponent(SelectUsername);
    fixture.componentRef.setInput('error', error);
    const submitted: string[] = [];
    fixture.componentInstance.submitted.subscribe((name) =>
      submitted.push(name),
    );
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const input = el.querySelector<HTMLInputElement>(
      'input[data-testid=username-input]',
    );
    const button = el.querySelector<HTMLButtonElement>(
      'button[data-testid=username-submit]',
    );
    if (!input || !button) throw new Error('form not rendered');
    const type = async (value: string) => {
      input.value = value;
      input.dispatchEvent(new Event('input'));
      await fixture.whenStable();
    };
    const submit = async () => {
      button.click();
      await fixture.whenStable();
    };
    const error$ = () =>
      el.querySelector('[data-testid=username-error]')?.textContent?.trim() ??
      null;
    return { fixture, input, button, submitted, type, submit, error: error$ };
  }

  it('submits a valid name, trimmed', async () => {
    const form = await render();
    await form.type('  alice  ');
    await form.submit();
    expect(form.submitted).toEqual(['alice']);
    expect(form.error()).toBeNull();
  });

  it('keeps quiet about an untouched empty field, but refuses to submit it', async () => {
    const form = await render();
    expect(form.error()).toBeNull();
    await form.submit();
    expect(form.submitted).toEqual([]);
    expect(form.error()).toBe('username must not be empty');
  });

  it('refuses a too long name, saying why (the submit stays clickable)', async () => {
    const form = await render();
    await form.type('x'.repeat(40));
    expect(form.error()).toContain('32');
    expect(form.button.disabled).toBe(false);
    await form.submit();
    expect(form.submitted).toEqual([]);
    expect(form.error()).toBe('username must be at most 32 characters');
  });

  it('refuses a blank name', async () => {
    const form = await render();
    await form.type('   ');
    await form.submit();
    expect(form.submitted).toEqual([]);
    expect(form.error()).toBe('username must not be empty');
  });

  it("shows the server's refusal until the name is edited", async () => {
    const form = await render('username is already taken');
    expect(form.error()).toBe('username is already taken');
    await form.type('bob');
    expect(form.error()).toBeNull();
  });
});
