import { ChangeDetectionStrategy, Component, input } from '@angular/core';

/** The guide's green/red presence dot; the words next to it are the caller's. */
@Component({
  selector: 'chat-status-icon',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: '',
  host: {
    class: 'status-icon',
    '[class.connected]': 'connected()',
    'aria-hidden': 'true',
  },
  styles: `
    :host {
      display: inline-block;
      flex: none;
      width: 8px;
      height: 8px;
      border-radius: 50%;
      background-color: var(--offline, #e38968);
    }
    :host(.connected) {
      background-color: var(--online, #86bb71);
    }
  `,
})
export class StatusIcon {
  readonly connected = input.required<boolean>();
}
