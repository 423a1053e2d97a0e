import { ChatEvent } from '@chat/contracts';
import { FakeChatSocket } from '../testing/fake-chat-socket';
import type { ChatSocket } from './chat-socket';
import { LazyChatSocket } from './lazy-chat-socket';

describe('LazyChatSocket', () => {
  function setup() {
    const transport = new FakeChatSocket();
    let resolve!: (socket: ChatSocket) => void;
    let reject!: (error: Error) => void;
    let loads = 0;
    const socket = new LazyChatSocket(() => {
      loads++;
      return new Promise<ChatSocket>((res, rej) => {
        resolve = res;
        reject = rej;
      });
    });
    return {
      transport,
      socket,
      loads: () => loads,
      loaded: async () => {
        resolve(transport);
        await Promise.resolve();
        await Promise.resolve();
      },
      failed: async () => {
        reject(new Error('chunk failed'));
        await Promise.resolve();
        await Promise.resolve();
      },
    };
  }

  it('loads nothing until asked, and is idle', () => {
    const { socket, loads } = setup();
    socket.setAuth({ username: 'alice' });
    socket.fromEvent(ChatEvent.Session).subscribe();
    expect(loads()).toBe(0);
    expect(socket.active).toBe(false);
  });

  it('connects once loaded, with the auth and the listeners given before', async () => {
    const { socket, transport, loaded, loads } = setup();
    const sessions: unknown[] = [];
    socket.fromEvent(ChatEvent.Session).subscribe((s) => sessions.push(s));
    socket.setAuth({ username: 'alice' });
    socket.connect();
    expect(socket.active).toBe(true);
    expect(transport.connects).toBe(0);
    await loaded();
    expect(loads()).toBe(1);
    expect(transport.connects).toBe(1);
    expect(transport.auth).toEqual({ username: 'alice' });
    transport.connectOk();
    const session = { sessionID: 's', userID: 'u', username: 'alice' };
    transport.serverEmit(ChatEvent.Session, session);
    expect(sessions).toEqual([session]);
    // From now on, straight through.
    socket.setAuth({ sessionID: 's' });
    expect(transport.auth).toEqual({ sessionID: 's' });
    socket.disconnect();
    expect(transport.disconnects).toBe(1);
  });

  it('does not connect once loaded when disconnected before', async () => {
    const { socket, transport, loaded } = setup();
    socket.connect();
    socket.disconnect();
    expect(socket.active).toBe(false);
    await loaded();
    expect(transport.connects).toBe(0);
  });

  it('loads once for many callers, and sends requests once loaded', async () => {
    const { socket, transport, loaded, loads } = setup();
    void socket.prepare();
    socket.connect();
    const ack = socket.emitWithAck(ChatEvent.FetchUsers, {});
    await loaded();
    expect(loads()).toBe(1);
    transport.userFetches[0].ack({ ok: true, users: [] });
    await expect(ack).resolves.toEqual({ ok: true, users: [] });
  });

  it('drops a volatile notice while nothing is loaded (no link could carry it), and passes it on once loaded', async () => {
    const { socket, transport, loaded } = setup();
    socket.connect();
    socket.emitVolatile(ChatEvent.Typing, { to: 'uBob', typing: true });
    await loaded();
    expect(transport.volatileSent).toEqual([]);
    socket.emitVolatile(ChatEvent.Typing, { to: 'uBob', typing: false });
    expect(transport.volatileSent).toEqual([
      { event: ChatEvent.Typing, payload: { to: 'uBob', typing: false } },
    ]);
  });

  it('tells a failed load as a refused connection, and loads again on the next connect', async () => {
    const { socket, transport, failed, loaded, loads } = setup();
    const errors: Error[] = [];
    socket.fromEvent('connect_error').subscribe((e) => errors.push(e));
    socket.connect();
    const request = socket.emitWithAck(ChatEvent.FetchUsers, {});
    await failed();
    await expect(request).rejects.toThrow('chunk failed');
    expect(errors.map((e) => e.message)).toEqual([
      'the client could not be loaded',
    ]);
    expect(socket.active).toBe(false);
    socket.connect();
    expect(loads()).toBe(2);
    await loaded();
    expect(transport.connects).toBe(1);
  });
});
