import {
  ChatEvent,
  type ClientToServerEvents,
  type FetchMessagesAck,
  type FetchUsersAck,
  type HandshakeAuth,
  type PrivateMessageAck,
  type ReceiptAck,
  type SettingsAck,
} from '@chat/contracts';
import { Observable, Subject } from 'rxjs';
import type {
  AckOf,
  ChatConnectError,
  ChatSocket,
  ChatSocketEventName,
  ChatSocketPayload,
} from '../core/chat-socket';

/** One `emitWithAck` the test can answer. */
export interface SentEvent {
  event: keyof ClientToServerEvents;
  payload: unknown;
  ack(
    response:
      | PrivateMessageAck
      | FetchMessagesAck
      | FetchUsersAck
      | ReceiptAck
      | SettingsAck,
  ): void;
  fail(error: Error): void;
}

/**
 * A stand-in for the transport only: the test plays the server (`serverEmit`, `connectOk`, …)
 * and reads what the client did (`auth`, `connects`, `sent`, `userFetches`, `receipts`).
 */
export class FakeChatSocket implements ChatSocket {
  auth: HandshakeAuth = {};
  active = false;
  connects = 0;
  disconnects = 0;
  /** Every `emitWithAck` but `fetch users` and `receipt`, in order. */
  readonly sent: SentEvent[] = [];
  /** Every `fetch users` (directory pages, searches, look-ups by id), in order. */
  readonly userFetches: SentEvent[] = [];
  /** Every `receipt`, in order. */
  readonly receipts: SentEvent[] = [];
  /** Every `emitVolatile` (typing notices), in order. */
  readonly volatileSent: {
    event: keyof ClientToServerEvents;
    payload: unknown;
  }[] = [];
  private readonly subjects = new Map<string, Subject<unknown>>();

  setAuth(auth: HandshakeAuth): void {
    this.auth = { ...auth };
  }

  connect(): void {
    this.connects++;
    this.active = true;
  }

  disconnect(): void {
    this.disconnects++;
    this.active = false;
  }

  fromEvent<E extends ChatSocketEventName>(
    event: E,
  ): Observable<ChatSocketPayload<E>> {
    return this.subject(event).asObservable() as Observable<
      ChatSocketPayload<E>
    >;
  }

  emitVolatile<E extends keyof ClientToServerEvents>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
  ): void {
    this.volatileSent.push({ event, payload });
  }

  emitWithAck<E extends keyof ClientToServerEvents>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
  ): Promise<AckOf<ClientToServerEvents[E]>> {
    return new Promise((resolve, reject) => {
      const list =
        event === ChatEvent.FetchUsers
          ? this.userFetches
          : event === ChatEvent.Receipt
            ? this.receipts
            : this.sent;
      list.push({
        event,
        payload,
        ack: (response) => resolve(response as AckOf<ClientToServerEvents[E]>),
        fail: reject,
      });
    });
  }

  /** The server sends `event` with its one payload. */
  serverEmit<E extends ChatSocketEventName>(
    event: E,
    payload: ChatSocketPayload<E>,
  ): void {
    this.subject(event).next(payload);
  }

  /** The handshake succeeded. */
  connectOk(): void {
    this.active = true;
    this.serverEmit('connect', undefined);
  }

  /** The link dropped; socket.io keeps retrying unless the server closed it. */
  drop(reason = 'transport close'): void {
    this.active = reason !== 'io server disconnect';
    this.serverEmit('disconnect', reason);
  }

  /** The handshake failed: by the server's middleware (`active` false) or the transport. */
  refuse(message: string, data?: { reason: string }, byServer = true): void {
    this.active = !byServer;
    const err: ChatConnectError = Object.assign(new Error(message), { data });
    this.serverEmit('connect_error', err);
  }

  private subject(event: string): Subject<unknown> {
    let subject = this.subjects.get(event);
    if (!subject) {
      subject = new Subject<unknown>();
      this.subjects.set(event, subject);
    }
    return subject;
  }
}
