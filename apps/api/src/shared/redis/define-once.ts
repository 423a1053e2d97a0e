import type { Redis } from 'ioredis';

/**
 * Defines a Lua script as a command of the client, unless a store on the same client did: every
 * Redis store defines its scripts through this, so two stores (or two instances of one, as in
 * tests) can share a client. `variadic`: no fixed number of keys, the first argument of each call
 * says how many.
 */
export function defineOnce(
  redis: Redis,
  name: string,
  numberOfKeys: number | 'variadic',
  lua: string,
): void {
  if (name in redis) return;
  redis.defineCommand(
    name,
    numberOfKeys === 'variadic' ? { lua } : { numberOfKeys, lua },
  );
}
