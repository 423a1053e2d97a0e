import type {
  ClientToServerEvents,
  InterServerEvents,
  ServerToClientEvents,
  SocketData,
} from '@chat/contracts';
import type { Server, Socket } from 'socket.io';

/** The socket.io server, typed by the contracts: emits and `socket.data` are checked. */
export type ChatServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

export type ChatSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

/**
 * Rooms of presence. Every user's `user connected` / `user disconnected` goes to `EVERYONE_ROOM`
 * and to that user's `watchRoom`. Sockets of the guide's directory join `EVERYONE_ROOM` (they
 * hear about everyone, as in the guide); sockets of the paged directory join the watch rooms of
 * the users they were given, and `EVERYONE_ROOM` only if the whole directory fit in their first
 * page. UserIDs hold no ':', so these names never clash with a user's own room.
 */
export const EVERYONE_ROOM = 'presence:everyone';
export const watchRoom = (userID: string): string => `watch:${userID}`;

/** Every room whose sockets hear about that user's presence. */
export const presenceRooms = (userID: string): string[] => [
  EVERYONE_ROOM,
  watchRoom(userID),
];
