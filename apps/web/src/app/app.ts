import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { ChatPage } from './chat-page/chat-page';
import { ChatStore } from './chat/chat.store';
import { ConnectionBanner } from './core/connection-banner/connection-banner';
import { SelectUsername } from './core/select-username/select-username';

@Component({
  selector: 'chat-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [ChatPage, ConnectionBanner, SelectUsername],
  template: `
    @if (store.view() === 'chat') {
      <chat-connection-banner [state]="store.connectionState()" />
      <chat-page />
    } @else {
      <chat-select-username
        [error]="store.usernameError()"
        (submitted)="store.selectUsername($event)"
      />
    }
  `,
  styles: `
    :host {
      display: flex;
      flex-direction: column;
      height: 100dvh;
    }
  `,
})
export class App {
  protected readonly store = inject(ChatStore);
}
