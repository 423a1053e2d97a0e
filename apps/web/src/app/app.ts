import {
  ChangeDetectionStrategy,
  Component,
  effect,
  inject,
} from '@angular/core';
import { Router, RouterOutlet } from '@angular/router';
import { ConnectionBanner } from './core/connection-banner/connection-banner';
import { ConnectionStore } from './core/connection.store';
import { SelectUsername } from './core/select-username/select-username';

/**
 * The username form until a session is wanted, then the chat at the URL's route (`/`, or
 * `/chat/:userID` for a conversation: a link opens it, after signing in if need be). The router
 * starts only then (`withDisabledInitialNavigation`), so the form never waits for the chat's code.
 */
@Component({
  selector: 'chat-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterOutlet, ConnectionBanner, SelectUsername],
  template: `
    <main>
      @if (connection.view() === 'chat') {
        <chat-connection-banner [state]="connection.connectionState()" />
        <router-outlet />
      } @else {
        <chat-select-username
          [error]="connection.usernameError()"
          (submitted)="connection.selectUsername($event)"
        />
      }
    </main>
  `,
  styles: `
    main {
      display: flex;
      flex-direction: column;
      height: 100dvh;
    }
  `,
})
export class App {
  protected readonly connection = inject(ConnectionStore);

  constructor() {
    const router = inject(Router);
    let started = false;
    effect(() => {
      if (started || this.connection.view() !== 'chat') return;
      started = true;
      router.initialNavigation();
    });
  }
}
