import type { ApplicationRef } from '@angular/core';
import type {
  ClientToServerEvents,
  HandshakeAuth,
  ServerToClientEvents,
} from '@chat/contracts';
import { Socket } from 'ngx-socket-io';
import type { Observable } from 'rxjs';
import type { ChatConfig } from './chat-config';
import type {
  AckOf,
  ChatSocket,
  ChatSocketEventName,
  ChatSocketPayload,
} from './chat-socket';

type NgxChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Adapts ngx-socket-io's Socket to `ChatSocket`. */
export class NgxChatSocketAdapter implements ChatSocket {
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

  emitVolatile<E extends keyof ClientToServerEvents>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
  ): void {
    // Not socket.io's `volatile`: it also drops a packet while the transport finishes a write,
    // such as the message sent in the same task as the `typing: false` that follows it.
    if (!this.socket.connected) return;
    // The emit's typing cannot see through the union of our events' parameters either.
    const socket = this.socket as unknown as {
      emit(event: E, payload: unknown): void;
    };
    socket.emit(event, payload);
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

/** ngx-socket-io's Socket, created idle (`autoConnect: false`) like the guide's. */
export function createNgxChatSocket(
  config: ChatConfig,
  appRef: ApplicationRef,
): ChatSocket {
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
    appRef,
  );
  return new NgxChatSocketAdapter(socket, config.ackTimeoutMs);
}
