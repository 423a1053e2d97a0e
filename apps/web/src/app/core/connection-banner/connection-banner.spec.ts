import { TestBed } from '@angular/core/testing';
import type { ConnectionState } from '../connection.store';
import { ConnectionBanner } from './connection-banner';

describe('ConnectionBanner', () => {
  async function render(state: ConnectionState) {
    const fixture = TestBed.createComponent(ConnectionBanner);
    fixture.componentRef.setInput('state', state);
    await fixture.whenStable();
    return (fixture.nativeElement as HTMLElement).querySelector(
      '[data-testid=connection-banner]',
    );
  }

  it('shows while the link is down', async () => {
    const banner = await render('disconnected');
    expect(banner?.textContent).toContain('Disconnected — reconnecting…');
    expect(banner?.getAttribute('role')).toBe('status');
  });

  it.each<ConnectionState>(['idle', 'connecting', 'connected'])(
    'is absent while %s',
    async (state) => {
      expect(await render(state)).toBeNull();
    },
  );

  it('goes away when the link is back', async () => {
    const fixture = TestBed.createComponent(ConnectionBanner);
    fixture.componentRef.setInput('state', 'disconnected');
    await fixture.whenStable();
    fixture.componentRef.setInput('state', 'connected');
    await fixture.whenStable();
    expect(
      (fixture.nativeElement as HTMLElement).querySelector(
        '[data-testid=connection-banner]',
      ),
    ).toBeNull();
  });
});
