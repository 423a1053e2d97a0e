import type { Redis } from 'ioredis';
import { defineOnce } from '../../../shared/redis/define-once';

/*
 * The Lua scripts of RedisSessionStore: a session's hash and its indexes change together in one
 * step, and the checks before a write (alive? whose?) run in the same step as the write.
 */

/**
 * Inserts or replaces a session, keeping the indexes right, in one step. The directory key is
 * added on every save (idempotent), so sessions saved before the directory existed join it.
 * KEYS: session hash, sessionOfUser, sessions, offlineSessions, sessionSequence, directory.
 * ARGV: sessionID, userID, username, connected (1/0), lastSeen, directoryKey.
 */
const SAVE = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[5]), ARGV[1])
end
local previous = redis.call('HGET', KEYS[1], 'directoryKey')
if previous and previous ~= ARGV[6] then redis.call('ZREM', KEYS[6], previous) end
redis.call('ZADD', KEYS[6], 0, ARGV[6])
redis.call('HSET', KEYS[1], 'userID', ARGV[2], 'username', ARGV[3],
  'connected', ARGV[4], 'lastSeen', ARGV[5], 'directoryKey', ARGV[6])
redis.call('SET', KEYS[2], ARGV[1])
if ARGV[4] == '1' then
  redis.call('ZREM', KEYS[4], ARGV[1])
else
  redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1])
end
return 1
`;

/**
 * Deletes a session if it is (still) expired at the cutoff; 1 if it did.
 * KEYS: session hash, sessions, offlineSessions, directory.
 * ARGV: sessionID, cutoff, sessionOfUser prefix.
 */
const DELETE_EXPIRED = `
local s = redis.call('HMGET', KEYS[1], 'connected', 'lastSeen', 'userID', 'directoryKey')
if not s[1] or s[1] ~= '0' or tonumber(s[2]) > tonumber(ARGV[2]) then return 0 end
if s[4] then redis.call('ZREM', KEYS[4], s[4]) end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
local byUser = ARGV[3] .. s[3]
if redis.call('GET', byUser) == ARGV[1] then redis.call('DEL', byUser) end
return 1
`;

/**
 * Whether that user has an unexpired session (`isExpired` with the cutoff): `{}` if not, else
 * `{ connected (1/0), lastSeen }`. One command for what every private message asks of its recipient.
 * KEYS: sessionOfUser. ARGV: cutoff, session hash prefix.
 */
const HAS_USER = `
local sessionID = redis.call('GET', KEYS[1])
if not sessionID then return {} end
local s = redis.call('HMGET', ARGV[2] .. sessionID, 'connected', 'lastSeen')
if not s[1] then return {} end
if s[1] == '1' then return {1, s[2]} end
if tonumber(s[2]) > tonumber(ARGV[1]) then return {0, s[2]} end
return {}
`;

/**
 * Changes the settings of a session if it is alive, and returns them all; {} if the session is
 * gone, expired, or not that user's (nothing written). One key: the session hash.
 * KEYS: session hash. ARGV: userID, cutoff, readReceipts, typing ('1', '0', or '': unchanged).
 */
const UPDATE_SETTINGS = `
local s = redis.call('HMGET', KEYS[1], 'userID', 'connected', 'lastSeen')
if s[1] ~= ARGV[1] then return {} end
if s[2] ~= '1' and tonumber(s[3]) <= tonumber(ARGV[2]) then return {} end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'readReceipts', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'typing', ARGV[4]) end
return redis.call('HMGET', KEYS[1], 'readReceipts', 'typing')
`;

export interface SessionCommands {
  chatSaveSession(
    session: string,
    byUser: string,
    sessions: string,
    offline: string,
    sequence: string,
    directory: string,
    sessionID: string,
    userID: string,
    username: string,
    connected: string,
    lastSeen: number,
    directoryKey: string,
  ): Promise<number>;
  chatHasUser(
    sessionOfUser: string,
    cutoff: number,
    sessionPrefix: string,
  ): Promise<[connected: number, lastSeen: string] | []>;
  chatUpdateSettings(
    session: string,
    userID: string,
    cutoff: number,
    readReceipts: string,
    typing: string,
  ): Promise<(string | null)[]>;
  chatDeleteExpiredSession(
    session: string,
    sessions: string,
    offline: string,
    directory: string,
    sessionID: string,
    cutoff: number,
    byUserPrefix: string,
  ): Promise<number>;
}

/** Registers the scripts on that connection (once) and returns it typed with them. */
export function defineSessionCommands(redis: Redis): Redis & SessionCommands {
  defineOnce(redis, 'chatSaveSession', 6, SAVE);
  defineOnce(redis, 'chatDeleteExpiredSession', 4, DELETE_EXPIRED);
  defineOnce(redis, 'chatHasUser', 1, HAS_USER);
  defineOnce(redis, 'chatUpdateSettings', 1, UPDATE_SETTINGS);
  return redis as Redis & SessionCommands;
}
