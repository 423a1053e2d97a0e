import {
  type ApplicationConfig,
  provideBrowserGlobalErrorListeners,
} from '@angular/core';
import { provideChatSocket } from './core/chat-socket';

export const appConfig: ApplicationConfig = {
  // Zoneless is Angular 21's default; the socket URL/path come from CHAT_CONFIG's defaults.
  providers: [provideBrowserGlobalErrorListeners(), provideChatSocket()],
};
