import { ApplicationRef } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { ChatEvent } from '@chat/contracts';
import { Socket } from 'ngx-socket-io';
import { CHAT_CONFIG, DEFAULT_CHAT_CONFIG } from './chat-config';
import { CHAT_SOCKET, provideChatSocket } from './chat-socket';
import { NgxChatSocketAdapter } from './ngx-chat-socket';

describe('provideChatSocket', () => {
  function create(ackTimeoutMs = 20) {
    TestBed.configureTestingModule({
      providers: [
        provideChatSocket(),
        {
          provide: CHAT_CONFIG,
          useValue: {
            ...DEFAULT_CHAT_CONFIG,
            url: 'http://127.0.0.1:9',
            ackTimeoutMs,
          },
        },
      ],
    });
    return TestBed.inject(CHAT_SOCKET);
  }

  it('creates the socket idle: nothing connects before the store asks', () => {
    expect(create().active).toBe(false);
  });

  it('gives up on an unacknowledged message after the configured time', async () => {
    const socket = create();
    // Not connected: socket.io buffers the packet, and the timeout must still settle it.
    await expect(
      socket.emitWithAck(ChatEvent.PrivateMessage, {
        content: 'hi',
        to: 'uBob',
      }),
    ).rejects.toThrow(/timed out/);
  });

  it('drops a volatile notice while the link is down instead of buffering it for the reconnect', () => {
    const socket = new Socket(
      { url: 'http://127.0.0.1:9', options: { autoConnect: false } },
      TestBed.inject(ApplicationRef),
    );
    const adapter = new NgxChatSocketAdapter(socket, 20);
    adapter.emitVolatile(ChatEvent.Typing, { to: 'uBob', typing: true });
    expect(socket.ioSocket.sendBuffer).toEqual([]);
    // A plain emit would have been buffered, and sent stale once connected.
    socket.emit(ChatEvent.Typing, { to: 'uBob', typing: true });
    expect(socket.ioSocket.sendBuffer).toHaveLength(1);
  });
});
