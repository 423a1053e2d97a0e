import { TestBed } from '@angular/core/testing';
import { MessageText } from './message-text';

describe('MessageText', () => {
  async function render(content: string) {
    const fixture = TestBed.createComponent(MessageText);
    fixture.componentRef.setInput('content', content);
    await fixture.whenStable();
    return fixture.nativeElement as HTMLElement;
  }

  it('shows the text exactly, newlines and spaces included', async () => {
    const el = await render('  two\n lines  ');
    expect(el.textContent).toBe('  two\n lines  ');
    expect(el.querySelector('a')).toBeNull();
  });

  it('makes http(s) links clickable in a new tab, without opener or referrer', async () => {
    const el = await render('docs at https://example.org/guide. ok?');
    expect(el.textContent).toBe('docs at https://example.org/guide. ok?');
    const links = el.querySelectorAll('a');
    expect(links).toHaveLength(1);
    expect(links[0].getAttribute('href')).toBe('https://example.org/guide');
    expect(links[0].textContent).toBe('https://example.org/guide');
    expect(links[0].getAttribute('target')).toBe('_blank');
    expect(links[0].getAttribute('rel')).toBe('noopener noreferrer');
  });

  it('never turns the text into markup', async () => {
    const content =
      '<b>bold</b><img src=x onerror=alert(1)> javascript:alert(1) <a href="https://x.example">';
    const el = await render(content);
    expect(el.textContent).toBe(content);
    expect(el.querySelector('b, img')).toBeNull();
    expect(
      Array.from(el.querySelectorAll('a')).map((a) => a.getAttribute('href')),
    ).toEqual(['https://x.example/']);
  });
});
