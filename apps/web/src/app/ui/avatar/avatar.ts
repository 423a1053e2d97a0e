import {
  ChangeDetectionStrategy,
  Component,
  computed,
  input,
} from '@angular/core';
import type { Presence } from '../../directory/directory.models';
import { avatarColor, initials } from './avatar-style';

/**
 * A person's initials on a colour of their own (from the userID: the same on every device), with
 * their presence as a dot. Decorative: the name and presence are said in words next to it.
 */
@Component({
  selector: 'chat-avatar',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `{{ letters() }}
    @if (presence(); as presence) {
      <span class="dot" [class]="presence"></span>
    }`,
  host: {
    'aria-hidden': 'true',
    '[style.background-color]': 'color()',
    '[style.--size.px]': 'size()',
  },
  styles: `
    :host {
      --size: 40px;
      position: relative;
      display: inline-grid;
      flex: none;
      place-items: center;
      width: var(--size);
      height: var(--size);
      border-radius: 50%;
      color: #fff;
      font-size: calc(var(--size) * 0.4);
      font-weight: 600;
      line-height: 1;
      user-select: none;
    }
    .dot {
      position: absolute;
      right: -1px;
      bottom: -1px;
      width: calc(var(--size) * 0.3);
      height: calc(var(--size) * 0.3);
      min-width: 10px;
      min-height: 10px;
      border: 2px solid var(--avatar-ring, #fff);
      border-radius: 50%;
    }
    .online {
      background: var(--online);
    }
    .offline {
      background: var(--offline);
    }
    .unknown {
      display: none;
    }
  `,
})
export class Avatar {
  /** The name the initials come from (without a disambiguation suffix). */
  readonly name = input.required<string>();
  readonly userID = input.required<string>();
  /** A dot for online or offline; none while unknown, nor when absent. */
  readonly presence = input<Presence | null>(null);
  /** Width and height in pixels. */
  readonly size = input(40);

  protected readonly letters = computed(() => initials(this.name()));
  protected readonly color = computed(() => avatarColor(this.userID()));
}
