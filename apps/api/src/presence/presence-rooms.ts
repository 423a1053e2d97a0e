/*
 * Rooms are plain names: every socket is in its user's own room (the userID: every tab of that
 * user), and in the rooms of presence below. Services name the rooms of their deliveries; only
 * transport/ puts sockets in them.
 */

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
