import {
  ChangeDetectionStrategy,
  Component,
  computed,
  input,
} from '@angular/core';
import type { ConnectionState } from '../connection.store';

/** Tells the user the link is down; socket.io (or the store) is already retrying. */
@Component({
  selector: 'chat-connection-banner',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (visible()) {
      <div class="banner" role="status" data-testid="connection-banner">
        Disconnected — reconnecting…
      </div>
    }
  `,
  styles: `
    .banner {
      padding: 8px 16px;
      background: var(--banner-bg);
      color: var(--banner-text);
      border-bottom: 1px solid var(--banner-line);
      text-align: center;
      font-size: 0.9rem;
    }
  `,
})
export class ConnectionBanner {
  readonly state = input.required<ConnectionState>();
  protected readonly visible = computed(() => this.state() === 'disconnected');
}
