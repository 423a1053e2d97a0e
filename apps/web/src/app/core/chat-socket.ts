import {
  ApplicationRef,
  type EnvironmentProviders,
  InjectionToken,
  inject,
  makeEnvironmentProviders,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import {
  type ClientToServerEvents,
  type ConnectErrorData,
  ErrorCode,
  type HandshakeAuth,
  type ServerToClientEvents,
} from '@chat/contracts';
import type { Observable } from 'rxjs';
import { CHAT_CONFIG } from './chat-config';
import { LazyChatSocket } from './lazy-chat-socket';

/** A refused handshake: `message` is the guide's, `data` may carry our precise reason. */
export type ChatConnectError = Error & { data?: Partial<ConnectErrorData> };

/** The server's events plus the socket's own lifecycle events, one payload each. */
export interface ChatSocketEvents extends ServerToClientEvents {
  connect: () => void;
  disconnect: (reason: string) => void;
  connect_error: (err: ChatConnectError) => void;
}
export type ChatSocketEventName = keyof ChatSocketEvents;
export type ChatSocketPayload<E extends ChatSocketEventName> = Parameters<
  ChatSocketEvents[E]
>[0];

/** What the acknowledgement callback of a client event receives. */
export type AckOf<F> = F extends (
  payload: never,
  ack?: (response: infer R) => void,
) => void
  ? R
  : never;

/**
 * The transport as the store needs it, nothing more: small enough to fake in tests,
 * typed by the contracts so event names and payloads cannot drift.
 */
export interface ChatSocket {
  /** Sent with the next handshake (also the automatic reconnections). */
  setAuth(auth: HandshakeAuth): void;
  /** False once the socket gave up on its own (refused by the server, closed by us). */
  readonly active: boolean;
  connect(): void;
  disconnect(): void;
  fromEvent<E extends ChatSocketEventName>(
    event: E,
  ): Observable<ChatSocketPayload<E>>;
  /**
   * Sends at once if the link is up, else drops it (never buffered for a reconnect): for notices
   * that are stale by the time a lost link comes back (typing).
   */
  emitVolatile<E extends keyof ClientToServerEvents>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
  ): void;
  /** Rejects when the acknowledgement does not come in time or the link drops first. */
  emitWithAck<E extends keyof ClientToServerEvents>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
  ): Promise<AckOf<ClientToServerEvents[E]>>;
}

export const CHAT_SOCKET = new InjectionToken<ChatSocket>('ChatSocket');

/** What a request that got no answer (a timeout, a lost link) counts as: `unavailable`. */
export const unavailable = () =>
  ({ ok: false, error: ErrorCode.Unavailable }) as const;

/**
 * For a store, in its constructor: `handler` receives every `event` of the socket until the store
 * is destroyed. Each event has one store that handles it; the stores above it hear of it from
 * that store.
 */
export function onChatEvent<E extends ChatSocketEventName>(
  event: E,
  handler: (payload: ChatSocketPayload<E>) => void,
): void {
  inject(CHAT_SOCKET)
    .fromEvent(event)
    .pipe(takeUntilDestroyed())
    .subscribe(handler);
}

/**
 * The app's one socket: ngx-socket-io, created idle (`autoConnect: false`) like the guide's.
 * socket.io's client is loaded apart from the first screen, at the first connect (see
 * LazyChatSocket): at once with a stored session, else once a username is chosen.
 */
export function provideChatSocket(): EnvironmentProviders {
  return makeEnvironmentProviders([
    {
      provide: CHAT_SOCKET,
      useFactory: (): ChatSocket => {
        const config = inject(CHAT_CONFIG);
        const appRef = inject(ApplicationRef);
        return new LazyChatSocket(() =>
          import('./ngx-chat-socket').then((m) =>
            m.createNgxChatSocket(config, appRef),
          ),
        );
      },
    },
  ]);
}
