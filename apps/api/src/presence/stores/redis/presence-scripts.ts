import type { Redis } from 'ioredis';
import { defineOnce } from '../../../shared/redis/define-once';

/*
 * The Lua scripts of RedisPresenceStore: every change of a user's presence is made inside one of
 * them, so that exactly one node sees each transition (see RedisPresenceStore).
 */

/**
 * Lua shared by the scripts: whether the user (hash `key`: nodeID → sockets) has a socket on a
 * node whose heartbeat key (`hb` .. nodeID) still exists.
 */
const HAS_LIVE_SOCKET = `
local function has_live_socket(key, hb)
  local fields = redis.call('HGETALL', key)
  for i = 1, #fields, 2 do
    if tonumber(fields[i + 1]) > 0 and redis.call('EXISTS', hb .. fields[i]) == 1 then
      return true
    end
  end
  return false
end
`;

/**
 * Takes `node` out of one user's presence; if no live node has a socket of theirs left, the user
 * leaves `online`, is recorded in `owed` (to be announced) and appended to `offline`.
 */
const RELEASE_USER = `${HAS_LIVE_SOCKET}
local function release_user(user, node, user_prefix, hb, online, owed, offline)
  local key = user_prefix .. user
  redis.call('HDEL', key, node)
  if not has_live_socket(key, hb) and redis.call('SREM', online, user) == 1 then
    redis.call('SADD', owed, user)
    table.insert(offline, user)
  end
end
`;

/**
 * Each write carries this node's whole count for the user (not +1/-1): writes are idempotent, so
 * the last one sent is right whatever failed before, and `refresh` can rewrite them all.
 *
 * CONNECT. KEYS: presenceUser, nodeUsers, online, presenceNodes. ARGV: node, user, count.
 * Returns 1 if the user was not online (came online).
 */
const CONNECT = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[4], ARGV[1])
return redis.call('SADD', KEYS[3], ARGV[2])
`;

/**
 * DISCONNECT. KEYS: as CONNECT, then this node's unannounced set.
 * ARGV: node, user, count (after this socket), heartbeat prefix.
 * Returns 1 if that was the user's last socket on any live node (went offline; kept as
 * unannounced until acknowledged). The user leaves the online set here and only here (or in a
 * sweep, refresh or leave): exactly one of them sees it.
 */
const DISCONNECT = `${HAS_LIVE_SOCKET}
if tonumber(ARGV[3]) > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  redis.call('SADD', KEYS[2], ARGV[2])
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[2])
if has_live_socket(KEYS[1], ARGV[4]) then return 0 end
if redis.call('SREM', KEYS[3], ARGV[2]) == 0 then return 0 end
redis.call('SADD', KEYS[5], ARGV[2])
return 1
`;

/** Lua: records this node's heartbeat time (Redis's clock, ms) in the lastHeartbeats hash `key`. */
const NOTE_HEARTBEAT = `
local function note_heartbeat(key, node)
  local time = redis.call('TIME')
  redis.call('HSET', key, node, tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
end
`;

/**
 * HEARTBEAT. KEYS: heartbeat, presenceNodes, lastHeartbeats. ARGV: node, ttl (ms).
 * Returns 1 if the heartbeat was still there; 0 if it had expired (this node may have been swept).
 */
const HEARTBEAT = `${NOTE_HEARTBEAT}
local alive = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
note_heartbeat(KEYS[3], ARGV[1])
return alive
`;

/**
 * RESYNC: heartbeat, then replaces what Redis holds for this node by its own counts.
 * KEYS: heartbeat, presenceNodes, nodeUsers, online, unannounced, lastHeartbeats.
 * ARGV: node, ttl, presenceUser prefix, heartbeat prefix, then user, count pairs.
 * Returns { users that came online, users that went offline }.
 */
const RESYNC = `${HAS_LIVE_SOCKET}${NOTE_HEARTBEAT}
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
note_heartbeat(KEYS[6], ARGV[1])
local counts = {}
for i = 5, #ARGV, 2 do counts[ARGV[i]] = ARGV[i + 1] end
local offline = {}
for _, user in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  if not counts[user] then
    local key = ARGV[3] .. user
    redis.call('HDEL', key, ARGV[1])
    redis.call('SREM', KEYS[3], user)
    if not has_live_socket(key, ARGV[4]) and redis.call('SREM', KEYS[4], user) == 1 then
      redis.call('SADD', KEYS[5], user)
      table.insert(offline, user)
    end
  end
end
local online = {}
for i = 5, #ARGV, 2 do
  redis.call('HSET', ARGV[3] .. ARGV[i], ARGV[1], ARGV[i + 1])
  redis.call('SADD', KEYS[3], ARGV[i])
  if redis.call('SADD', KEYS[4], ARGV[i]) == 1 then table.insert(online, ARGV[i]) end
end
return { online, offline }
`;

/**
 * SWEEP one dead node, a chunk of its users at a time, by this node.
 * KEYS: its heartbeat, its nodeUsers, online, presenceNodes, its unannounced, ours, lastHeartbeats.
 * ARGV: its node id, presenceUser prefix, heartbeat prefix, chunk size.
 * Returns { users left on it (-1: it is alive again, nothing done), users that went offline,
 * users it took offline but may not have announced, its last heartbeat (ms; '' if unknown) };
 * all are now ours to announce.
 */
const SWEEP = `${RELEASE_USER}
if redis.call('EXISTS', KEYS[1]) == 1 then return { -1, {}, {}, '' } end
local seen = redis.call('HGET', KEYS[7], ARGV[1]) or ''
local owed = redis.call('SMEMBERS', KEYS[5])
for _, user in ipairs(owed) do redis.call('SADD', KEYS[6], user) end
redis.call('DEL', KEYS[5])
local offline = {}
for _, user in ipairs(redis.call('SPOP', KEYS[2], ARGV[4])) do
  release_user(user, ARGV[1], ARGV[2], ARGV[3], KEYS[3], KEYS[6], offline)
end
local left = redis.call('SCARD', KEYS[2])
if left == 0 then
  redis.call('SREM', KEYS[4], ARGV[1])
  redis.call('HDEL', KEYS[7], ARGV[1])
end
return { left, offline, owed, seen }
`;

/**
 * LEAVE: this node stops. KEYS: heartbeat, nodeUsers, online, presenceNodes, unannounced,
 * lastHeartbeats. ARGV: node, presenceUser prefix, heartbeat prefix. Returns the users that went
 * offline. The node stays listed (so it is swept if it dies before acknowledging them) unless it
 * owes nothing.
 */
const LEAVE = `${RELEASE_USER}
redis.call('DEL', KEYS[1])
local offline = {}
for _, user in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  release_user(user, ARGV[1], ARGV[2], ARGV[3], KEYS[3], KEYS[5], offline)
end
redis.call('DEL', KEYS[2])
if redis.call('SCARD', KEYS[5]) == 0 then
  redis.call('SREM', KEYS[4], ARGV[1])
  redis.call('HDEL', KEYS[6], ARGV[1])
end
return offline
`;

/**
 * ACKNOWLEDGE: these users' changes were announced. A node that has left is unlisted once it
 * owes nothing. KEYS: unannounced, heartbeat, nodeUsers, presenceNodes, lastHeartbeats.
 * ARGV: node, users...
 */
const ACKNOWLEDGE = `
for i = 2, #ARGV do redis.call('SREM', KEYS[1], ARGV[i]) end
if redis.call('EXISTS', KEYS[2]) == 0 and redis.call('SCARD', KEYS[3]) == 0
  and redis.call('SCARD', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[4], ARGV[1])
  redis.call('HDEL', KEYS[5], ARGV[1])
end
return 1
`;

/** Deletes a key only if it still holds our value. KEYS: key. ARGV: value. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface PresenceCommands {
  chatPresenceConnect(...args: (string | number)[]): Promise<number>;
  chatPresenceDisconnect(...args: (string | number)[]): Promise<number>;
  chatPresenceHeartbeat(...args: (string | number)[]): Promise<number>;
  chatPresenceResync(
    ...args: (string | number)[]
  ): Promise<[string[], string[]]>;
  chatPresenceSweep(
    ...args: (string | number)[]
  ): Promise<[number, string[], string[], string]>;
  chatPresenceLeave(...args: (string | number)[]): Promise<string[]>;
  chatPresenceAcknowledge(...args: (string | number)[]): Promise<number>;
  chatReleaseLock(key: string, value: string): Promise<number>;
}

/** Defines the scripts as commands of `redis` (once per client). */
export function definePresenceCommands(redis: Redis): Redis & PresenceCommands {
  defineOnce(redis, 'chatPresenceConnect', 4, CONNECT);
  defineOnce(redis, 'chatPresenceDisconnect', 5, DISCONNECT);
  defineOnce(redis, 'chatPresenceHeartbeat', 3, HEARTBEAT);
  defineOnce(redis, 'chatPresenceResync', 6, RESYNC);
  defineOnce(redis, 'chatPresenceSweep', 7, SWEEP);
  defineOnce(redis, 'chatPresenceLeave', 6, LEAVE);
  defineOnce(redis, 'chatPresenceAcknowledge', 5, ACKNOWLEDGE);
  defineOnce(redis, 'chatReleaseLock', 1, RELEASE);
  return redis as Redis & PresenceCommands;
}
