import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { ChatPage } from './chat-page/chat-page';
import { ConnectionBanner } from './core/connection-banner/connection-banner';
import { ConnectionStore } from './core/connection.store';
import { SelectUsername } from './core/select-username/select-username';

@Component({
  selector: 'chat-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [ChatPage, ConnectionBanner, SelectUsername],
  template: `
    @if (connection.view() === 'chat') {
      <chat-connection-banner [state]="connection.connectionState()" />
      <chat-page />
    } @else {
      <chat-select-username
        [error]="connection.usernameError()"
        (submitted)="connection.selectUsername($event)"
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
  protected readonly connection = inject(ConnectionStore);
}
