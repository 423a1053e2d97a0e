import {
  type ApplicationConfig,
  provideBrowserGlobalErrorListeners,
} from '@angular/core';
import {
  provideRouter,
  withComponentInputBinding,
  withDisabledInitialNavigation,
} from '@angular/router';
import { routes } from './app.routes';
import { provideChat } from './provide-chat';

export const appConfig: ApplicationConfig = {
  // Zoneless is Angular 21's default; the socket URL/path come from CHAT_CONFIG's defaults.
  providers: [
    provideBrowserGlobalErrorListeners(),
    // The router starts once the chat is wanted (see App).
    provideRouter(
      routes,
      withComponentInputBinding(),
      withDisabledInitialNavigation(),
    ),
    provideChat(),
  ],
};
