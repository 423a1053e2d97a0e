import type { MessageMappingProperties } from '@nestjs/websockets';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { isObservable, type Observable } from 'rxjs';
import type { Socket } from 'socket.io';

/*
 * The one use of @nestjs/platform-socket.io beyond its documented extension points. Written
 * against @nestjs/platform-socket.io 12.1.1 (pinned exactly in package.json): it overrides
 * IoAdapter's `bindMessageHandlers` and reuses its `mapPayload` and `logger`, whose shapes and
 * semantics nestjs-platform-socket.io.spec.ts checks; check this file on every upgrade.
 */

/** The version this file was written against (the spec checks package.json pins it). */
export const NESTJS_PLATFORM_SOCKET_IO_VERSION = '12.1.1';

/**
 * Nest's socket.io adapter, with `@SubscribeMessage` handlers bound by a plain `socket.on`.
 *
 * Nest's own `bindMessageHandlers` runs every message through an rxjs chain (fromEvent, mergeMap,
 * defer, filter, map, catchError, takeUntil): about 12–15 µs of CPU and much of the garbage per
 * message under load. This does the same work without it. `callback` is still Nest's: guards,
 * pipes, interceptors, param decorators and the gateway's exception filters all run as before.
 * Same semantics as Nest's:
 * - handlers run concurrently (mergeMap), each message as it comes;
 * - a result that is not null or undefined, or each value of a returned observable, is emitted as
 *   `event` if it has one, otherwise answered through the ack, unless the handler takes the ack
 *   itself (`@Ack()`);
 * - an error the exception filters let through is logged, and the socket keeps being served;
 * - nothing is answered once the socket is disconnected (takeUntil(disconnect)).
 */
export class LeanIoAdapter extends IoAdapter {
  override bindMessageHandlers(
    socket: Socket,
    handlers: MessageMappingProperties[],
    // Nest's result flattening (promise or observable → observable), for observables only.
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    for (const { message, callback, isAckHandledManually } of handlers) {
      const respond = (response: unknown, ack: unknown) => {
        if (response === null || response === undefined || socket.disconnected)
          return;
        const { event, data } = response as { event?: string; data?: unknown };
        if (event) socket.emit(event, data);
        else if (!isAckHandledManually && typeof ack === 'function')
          ack(response);
      };
      socket.on(message, async (...args: unknown[]) => {
        // What rxjs' fromEvent hands Nest's mapPayload: the only argument, or all of them.
        const { data, ack } = this.mapPayload(args.length > 1 ? args : args[0]);
        try {
          const result: unknown = await callback(data, ack);
          if (!isObservable(result)) return respond(result, ack);
          transform(result).subscribe({
            next: (response) => respond(response, ack),
            error: (error: unknown) => this.logger.error(error),
          });
        } catch (error) {
          this.logger.error(error);
        }
      });
    }
  }
}
