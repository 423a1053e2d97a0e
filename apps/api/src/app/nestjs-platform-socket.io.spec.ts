import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { from, Observable, of } from 'rxjs';
import type { Socket } from 'socket.io';
import { upstream } from '../testing/upstream';
import {
  LeanIoAdapter,
  NESTJS_PLATFORM_SOCKET_IO_VERSION,
} from './nestjs-platform-socket.io';

// What LeanIoAdapter relies on in Nest's IoAdapter: if one of these fails after an upgrade, check
// LeanIoAdapter against the new IoAdapter (and the gateway's hand-bound `private message`, which
// splits its arguments as mapPayload does).
describe('@nestjs/platform-socket.io, as LeanIoAdapter uses it', () => {
  it('is pinned to the version LeanIoAdapter was written against', () => {
    expect(upstream('@nestjs/platform-socket.io')).toEqual({
      pinned: NESTJS_PLATFORM_SOCKET_IO_VERSION,
      installed: NESTJS_PLATFORM_SOCKET_IO_VERSION,
    });
  });

  it('binds message handlers with (socket, handlers, transform), and logs through `logger`', () => {
    expect(IoAdapter.prototype.bindMessageHandlers).toEqual(
      expect.any(Function),
    );
    expect(IoAdapter.prototype.bindMessageHandlers).toHaveLength(3);
    const logger = (new IoAdapter() as unknown as { logger?: unknown }).logger;
    expect(logger).toMatchObject({ error: expect.any(Function) });
  });

  it('maps the arguments of an event to { data, ack } as LeanIoAdapter expects', () => {
    const adapter = new IoAdapter();
    expect(IoAdapter.prototype.mapPayload).toHaveLength(1);
    const ack = () => undefined;
    expect(adapter.mapPayload({ a: 1 })).toEqual({ data: { a: 1 } });
    expect(adapter.mapPayload(undefined)).toEqual({ data: undefined });
    expect(adapter.mapPayload(ack)).toEqual({ data: undefined, ack });
    expect(adapter.mapPayload([{ a: 1 }, ack])).toEqual({
      data: { a: 1 },
      ack,
    });
    expect(adapter.mapPayload([1, 2, ack])).toEqual({ data: [1, 2], ack });
    expect(adapter.mapPayload([1, 2])).toEqual({ data: [1, 2] });
  });
});

// The adapter alone, with a stand-in socket: what reaches a handler, and what its result becomes.
describe('LeanIoAdapter', () => {
  const flush = () => new Promise((resolve) => setImmediate(resolve));

  function bind(
    callback: (data: unknown, ack?: unknown) => unknown,
    isAckHandledManually = false,
  ) {
    const listeners = new Map<string, (...args: unknown[]) => unknown>();
    const emitted: unknown[][] = [];
    const socket = {
      disconnected: false,
      on: (event: string, listener: (...args: unknown[]) => unknown) =>
        listeners.set(event, listener),
      emit: (...args: unknown[]) => emitted.push(args),
    };
    const adapter = new LeanIoAdapter();
    const errors: unknown[] = [];
    (adapter as unknown as { logger: { error: (e: unknown) => void } }).logger =
      { error: (error) => errors.push(error) };
    const handler = {
      message: 'event',
      methodName: 'onEvent',
      callback,
      isAckHandledManually,
    } as unknown as MessageMappingProperties;
    // Nest's own flattening, for observables.
    const transform = (result: unknown) =>
      result instanceof Observable ? result : of(result);
    adapter.bindMessageHandlers(
      socket as unknown as Socket,
      [handler],
      transform,
    );
    const send = async (...args: unknown[]) => {
      await listeners.get('event')?.(...args);
      await flush();
    };
    return { send, emitted, errors, socket };
  }

  it('hands the handler the payload and the ack as Nest does', async () => {
    const calls: unknown[][] = [];
    const { send } = bind((data, ack) => void calls.push([data, ack]));
    const ack = () => undefined;
    await send({ a: 1 }, ack);
    await send({ a: 2 });
    await send(ack);
    await send();
    await send(1, 2, ack);
    expect(calls).toEqual([
      [{ a: 1 }, ack],
      [{ a: 2 }, undefined],
      [undefined, ack],
      [undefined, undefined],
      [[1, 2], ack],
    ]);
  });

  it('answers a returned value through the ack, unless the handler takes the ack itself', async () => {
    const acked: unknown[] = [];
    const ack = (response: unknown) => acked.push(response);
    await bind(async () => ({ ok: true })).send('x', ack);
    await bind(() => null).send('x', ack);
    await bind(() => ({ ok: 'manual' }), true).send('x', ack);
    expect(acked).toEqual([{ ok: true }]);
  });

  it('emits a result that names an event, and each value of an observable', async () => {
    const { send, emitted } = bind(() =>
      from([
        { event: 'one', data: 1 },
        { event: 'two', data: 2 },
      ]),
    );
    await send('x');
    expect(emitted).toEqual([
      ['one', 1],
      ['two', 2],
    ]);
  });

  it('logs what the exception filters let through, and keeps serving', async () => {
    let fail = true;
    const acked: unknown[] = [];
    const { send, errors } = bind(async () => {
      if (fail) throw new Error('boom');
      return 'fine';
    });
    await send('x', (r: unknown) => acked.push(r));
    fail = false;
    await send('x', (r: unknown) => acked.push(r));
    expect(errors).toEqual([new Error('boom')]);
    expect(acked).toEqual(['fine']);
  });

  it('answers nothing once the socket is disconnected', async () => {
    const acked: unknown[] = [];
    const { send, socket } = bind(async () => {
      socket.disconnected = true;
      return 'late';
    });
    await send('x', (r: unknown) => acked.push(r));
    expect(acked).toEqual([]);
  });
});
