import { Manager } from 'socket.io-client';
import { within, WAIT_MS } from './chat-client';

/**
 * An Engine.IO connection to the api without socket.io-client's Socket on top: a test writes
 * socket.io packets itself, as a hostile client would (a burst of CONNECTs on one websocket, or
 * none at all), and sees what comes back and when the server closes it.
 */
export interface RawTransport {
  /** Engine.IO `message` packets received, as socket.io encoded them (`0{"sid":…}`, `44{…}`…). */
  readonly received: string[];
  /** Writes one socket.io packet as is, e.g. `0{"username":"x"}` (a CONNECT of the main namespace). */
  send(packet: string): void;
  /** Resolves once the server closed the connection (or it failed), with Engine.IO's reason. */
  closed(ms?: number): Promise<string>;
  readonly isOpen: boolean;
  close(): void;
}

export interface RawTransportOptions {
  transport?: 'websocket' | 'polling';
  /** Headers of the handshake request (`Origin`, `X-Forwarded-For`). */
  headers?: Record<string, string>;
}

/** Opens an Engine.IO connection to `url`; rejects with the transport's error if it is refused. */
export function openTransport(
  url: string,
  { transport = 'websocket', headers }: RawTransportOptions = {},
): Promise<RawTransport> {
  const manager = new Manager(url, {
    transports: [transport],
    upgrade: false,
    reconnection: false,
    autoConnect: false,
    extraHeaders: headers,
  });
  const received: string[] = [];
  let closeReason: string | undefined;
  const closeWaiters = new Set<(reason: string) => void>();
  return within(
    new Promise<RawTransport>((resolve, reject) => {
      manager.open((error?: Error) => {
        if (error) return reject(error);
        const engine = manager.engine;
        engine.on('message', (data) => received.push(String(data)));
        engine.on('close', (reason: string) => {
          closeReason = reason;
          for (const waiter of closeWaiters) waiter(reason);
        });
        resolve({
          received,
          send: (packet) => engine.send(packet),
          closed: (ms = WAIT_MS) =>
            closeReason !== undefined
              ? Promise.resolve(closeReason)
              : within(
                  new Promise<string>((done) => closeWaiters.add(done)),
                  ms,
                  'the server to close the transport',
                ),
          get isOpen() {
            return closeReason === undefined;
          },
          close: () => engine.close(),
        });
      });
    }),
    WAIT_MS,
    'the transport to open',
  );
}
