import { InjectionToken } from '@angular/core';

export interface ChatConfig {
  /** Socket.IO server URL; `/` means the page's own origin. */
  url: string;
  /** Socket.IO endpoint path on that server. */
  path: string;
  /**
   * Transports in the order tried. WebSocket first: no long-polling phase and upgrade, during which
   * a closed tab is only noticed by the server's ping timeout (tens of seconds of ghost presence);
   * long-polling stays as the fallback for networks that block WebSocket.
   */
  transports: ('websocket' | 'polling')[];
  /**
   * How long a request waits for the server's acknowledgement. An unanswered message is not lost:
   * it stays pending and is sent again (see `sendMaxAttempts`).
   */
  ackTimeoutMs: number;
  /**
   * First delay before retrying a connection the server refused for a non-username reason, and
   * before sending again a message the server could not take while the link is up.
   */
  retryDelayMs: number;
  /** Longest delay between such retries (the delay doubles up to this). */
  maxRetryDelayMs: number;
  /** Attempts at sending one message (the same `clientMessageId` each time) before it fails. */
  sendMaxAttempts: number;
  /**
   * A message still pending after this long fails instead of being sent again: well inside the
   * day the server remembers a `clientMessageId`, so a late attempt never duplicates it.
   */
  sendMaxAgeMs: number;
  /** How long typing in the user search pauses before the server is asked. */
  searchDebounceMs: number;
}

/**
 * Same origin and the default path: in development the Angular dev server proxies `/socket.io`
 * to the api (proxy.conf.mjs), in production the api serves this app on its own port.
 */
export const DEFAULT_CHAT_CONFIG: ChatConfig = {
  url: '/',
  path: '/socket.io',
  transports: ['websocket', 'polling'],
  ackTimeoutMs: 10_000,
  retryDelayMs: 1_000,
  maxRetryDelayMs: 30_000,
  sendMaxAttempts: 5,
  sendMaxAgeMs: 60 * 60_000,
  searchDebounceMs: 200,
};

export const CHAT_CONFIG = new InjectionToken<ChatConfig>('ChatConfig', {
  providedIn: 'root',
  factory: () => DEFAULT_CHAT_CONFIG,
});
