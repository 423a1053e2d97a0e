import type { ServerToClientEvents } from '@chat/contracts';
import type { ChatServer } from './chat-socket';

/*
 * The one use of socket.io beyond its public API. Written against socket.io 4.8.3 (pinned exactly
 * in package.json) and the socket.io-adapter (~2.5) and socket.io-parser (~4.2) it depends on.
 * socket.io.spec.ts fails if what this relies on changes; check it on every upgrade.
 */

/** The version this file was written against (socket.io.spec.ts checks package.json pins it). */
export const SOCKET_IO_VERSION = '4.8.3';

/** socket.io-parser's PacketType.EVENT. */
export const EVENT_PACKET = 2;

/**
 * What `server.to(rooms).except(except).emit(event, payload)` does, but returning what the
 * namespace's adapter returns from `broadcast`, which socket.io drops: a cluster adapter
 * (socket.io-adapter's ClusterAdapter, which the sharded Redis adapter extends) returns a promise
 * that settles once the packet is published to the other nodes; the in-memory adapter, nothing.
 * No public API says when a broadcast has left this node.
 */
export function broadcastWithPublication(
  server: ChatServer,
  rooms: readonly string[],
  except: readonly string[],
  event: keyof ServerToClientEvents,
  payload: unknown,
): PromiseLike<void> | undefined {
  // Typed void, but cluster adapters return the promise of their publication.
  const sent: unknown = server.sockets.adapter.broadcast(
    { type: EVENT_PACKET, data: [event, payload], nsp: server.sockets.name },
    { rooms: new Set(rooms), except: new Set(except), flags: {} },
  );
  return typeof (sent as PromiseLike<void> | undefined)?.then === 'function'
    ? (sent as PromiseLike<void>)
    : undefined;
}
