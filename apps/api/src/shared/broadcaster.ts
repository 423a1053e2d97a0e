import type { ServerToClientEvents } from '@chat/contracts';

/**
 * What a service asks to be sent, as plain data: `event` with its `payload` to every socket in
 * `rooms` (on every node), except those in `except`. When an event of a client caused it, the
 * sending socket never gets it either (socket.io's `socket.to`), unless `includeSender` says so
 * (state every tab of a user must share, the sending one too: settings, read markers).
 */
export type Delivery = {
  [E in keyof ServerToClientEvents]: {
    rooms: string[];
    except?: string[];
    includeSender?: boolean;
    event: E;
    payload: Parameters<ServerToClientEvents[E]>[0];
  };
}[keyof ServerToClientEvents];

/**
 * The one way the capabilities reach sockets they do not hold (transport/broadcaster.ts owns the
 * socket.io server). An abstract class so that it is also the DI token.
 */
export abstract class Broadcaster {
  /**
   * Sends `delivery` and resolves once the socket.io adapter has sent it on to the other nodes
   * (the Redis adapter: appended to its stream), waiting a bounded time. For announcements that
   * must be on their way before the state they announce is read again; never rejects for a slow
   * adapter, rejects if there is no server to send through.
   */
  abstract publish(delivery: Delivery): Promise<void>;

  /** Every socket in `room`, on every node, leaves it. */
  abstract clearRoom(room: string): void;
}
