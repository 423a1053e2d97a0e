import { TestBed } from '@angular/core/testing';
import { StatusIcon } from './status-icon';

describe('StatusIcon', () => {
  it('is green when connected and red otherwise', async () => {
    const fixture = TestBed.createComponent(StatusIcon);
    fixture.componentRef.setInput('connected', true);
    await fixture.whenStable();
    const host = fixture.nativeElement as HTMLElement;
    expect(host.classList).toContain('connected');
    expect(host.getAttribute('aria-hidden')).toBe('true');

    fixture.componentRef.setInput('connected', false);
    await fixture.whenStable();
    expect(host.classList).not.toContain('connected');
  });
});
