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
import { Socket } from 'ngx-socket-io';
import type { Observable } from 'rxjs';
import { CHAT_CONFIG } from './chat-config';

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

type NgxChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Adapts ngx-socket-io's Socket to `ChatSocket`. */
class NgxChatSocketAdapter implements ChatSocket {
  constructor(
    private readonly socket: NgxChatSocket,
    private readonly ackTimeoutMs: number,
  ) {}

  setAuth(auth: HandshakeAuth): void {
    // A copy: socket.io keeps the object and reads it at every handshake.
    this.socket.auth = { ...auth };
  }

  get active(): boolean {
    return this.socket.active;
  }

  connect(): void {
    this.socket.connect();
  }

  disconnect(): void {
    this.socket.disconnect();
  }

  fromEvent<E extends ChatSocketEventName>(
    event: E,
  ): Observable<ChatSocketPayload<E>> {
    // ngx-socket-io passes on the first argument only: every event of ours has exactly one.
    return this.socket.fromEvent(event) as Observable<ChatSocketPayload<E>>;
  }

  emitWithAck<E extends keyof ClientToServerEvents>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
  ): Promise<AckOf<ClientToServerEvents[E]>> {
    // With a timeout socket.io also drops the packet from its offline buffer when it expires, so
    // an unanswered request is never sent later behind the store's back (a message is sent again
    // by the store itself, with the same `clientMessageId`).
    // ngx-socket-io's emitWithAck typing cannot see through our optional ack; the contract
    // types above are the ones that matter.
    const socket = this.socket.timeout(this.ackTimeoutMs) as unknown as {
      emitWithAck(event: E, payload: unknown): Promise<unknown>;
    };
    return socket.emitWithAck(event, payload) as Promise<
      AckOf<ClientToServerEvents[E]>
    >;
  }
}

/** The app's one socket: ngx-socket-io, created idle (`autoConnect: false`) like the guide's. */
export function provideChatSocket(): EnvironmentProviders {
  return makeEnvironmentProviders([
    {
      provide: CHAT_SOCKET,
      useFactory: (): ChatSocket => {
        const config = inject(CHAT_CONFIG);
        const socket: NgxChatSocket = new Socket(
          {
            url: config.url,
            options: {
              path: config.path,
              autoConnect: false,
              transports: config.transports,
              // Fall back to the next transport when WebSocket cannot connect.
              tryAllTransports: true,
            },
          },
          inject(ApplicationRef),
        );
        return new NgxChatSocketAdapter(socket, config.ackTimeoutMs);
      },
    },
  ]);
}
