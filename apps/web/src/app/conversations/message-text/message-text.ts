import {
  ChangeDetectionStrategy,
  Component,
  computed,
  input,
} from '@angular/core';
import { linkify } from '../linkify';

/**
 * A message's text with its http(s) links clickable (a new tab, no opener, no referrer). Bindings
 * only, never innerHTML: nothing a message holds becomes markup. Each segment is an element's
 * `textContent` (whitespace between elements is dropped by the compiler, never added), so every
 * character shows as it was written (`white-space: pre-wrap`).
 */
@Component({
  selector: 'chat-message-text',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `@for (segment of segments(); track $index) {
    @if (segment.href) {
      <a
        [href]="segment.href"
        target="_blank"
        rel="noopener noreferrer"
        [textContent]="segment.text"
      ></a>
    } @else {
      <span [textContent]="segment.text"></span>
    }
  }`,
  styles: `
    :host {
      overflow-wrap: anywhere;
      white-space: pre-wrap;
    }
    a {
      color: inherit;
      text-decoration: underline;
      text-underline-offset: 2px;
    }
  `,
})
export class MessageText {
  readonly content = input.required<string>();
  protected readonly segments = computed(() => linkify(this.content()));
}
