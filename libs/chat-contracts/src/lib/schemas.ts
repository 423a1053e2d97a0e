import * as z from 'zod/mini';
import { ErrorCode } from './ack';
import type {
  DirectoryMode,
  FetchMessagesInput,
  FetchUsersInput,
  PrivateMessageInput,
} from './models';

export const USERNAME_MAX_LENGTH = 32;
/** Longest message content, in UTF-16 code units (what `String#length` counts). */
export const MESSAGE_MAX_LENGTH = 4000;
/** Largest page of `fetch messages`. */
export const FETCH_MESSAGES_MAX = 100;
/** Largest page of `fetch users`, and most users asked for by id at once. */
export const FETCH_USERS_MAX = 100;
/** A page of `fetch users` when the client gives no `limit`. */
export const DIRECTORY_PAGE_SIZE = 50;
/** Server-made ids are far shorter; anything longer is not one of ours. */
const ID_MAX_LENGTH = 128;

// zod/mini keeps the web bundle small; the same schemas run on the server.
const noControlCharacters = z.regex(
  /^[^\p{Cc}]*$/u,
  'must not contain control characters',
);

/** Trimmed, 1 to 32 characters, no control characters. */
export const usernameSchema = z
  .string({ error: 'must be a string' })
  .check(
    z.trim(),
    z.minLength(1, 'must not be empty'),
    z.maxLength(
      USERNAME_MAX_LENGTH,
      `must be at most ${USERNAME_MAX_LENGTH} characters`,
    ),
    noControlCharacters,
  );

/** The shape of ids the server hands out (`sessionID`, `userID`): url-safe, bounded. */
export const idSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(ID_MAX_LENGTH),
    z.regex(/^[A-Za-z0-9_-]+$/),
  );

/** Longest `clientMessageId` of `private message`. */
export const CLIENT_MESSAGE_ID_MAX_LENGTH = 64;

/** A client's id for one of its messages: url-safe, bounded (see PrivateMessageInput). */
export const clientMessageIdSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(CLIENT_MESSAGE_ID_MAX_LENGTH),
    z.regex(/^[A-Za-z0-9_-]+$/),
  );

/** `content` is bounded separately so that an oversized one is told `too large`, not `invalid payload`. */
export const privateMessageSchema = z.object({
  content: z.string().check(z.regex(/\S/, 'must not be blank')),
  to: idSchema,
  clientMessageId: z.optional(clientMessageIdSchema),
});

export type Validation<T, E = string> =
  | { ok: true; value: T }
  | { ok: false; error: E };

/** Validates a username as the server will: returns the trimmed name or a readable reason. */
export function validateUsername(input: unknown): Validation<string> {
  const result = z.safeParse(usernameSchema, input);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    error: `username ${result.error.issues[0]?.message ?? 'is invalid'}`,
  };
}

/** A well-formed `sessionID` or undefined: the handshake treats anything else as absent. */
export function parseSessionId(input: unknown): string | undefined {
  const result = z.safeParse(idSchema, input);
  return result.success ? result.data : undefined;
}

/** A well-formed `userID` (as the server hands them out) or undefined. */
export function parseUserId(input: unknown): string | undefined {
  const result = z.safeParse(idSchema, input);
  return result.success ? result.data : undefined;
}

/** Validates a `private message` payload; unknown keys (such as a forged `from`) are dropped. */
export function validatePrivateMessage(
  input: unknown,
): Validation<
  PrivateMessageInput,
  typeof ErrorCode.InvalidPayload | typeof ErrorCode.TooLarge
> {
  const result = z.safeParse(privateMessageSchema, input);
  if (!result.success) return { ok: false, error: ErrorCode.InvalidPayload };
  if (result.data.content.length > MESSAGE_MAX_LENGTH)
    return { ok: false, error: ErrorCode.TooLarge };
  const { content, to, clientMessageId } = result.data;
  return {
    ok: true,
    value:
      clientMessageId === undefined
        ? { content, to }
        : { content, to, clientMessageId },
  };
}

export const fetchMessagesSchema = z.object({
  userID: idSchema,
  before: idSchema,
  limit: z.optional(z.int().check(z.minimum(1), z.maximum(FETCH_MESSAGES_MAX))),
});

/** Validates a `fetch messages` payload; unknown keys are dropped. */
export function validateFetchMessages(
  input: unknown,
): Validation<FetchMessagesInput, typeof ErrorCode.InvalidPayload> {
  const result = z.safeParse(fetchMessagesSchema, input);
  if (!result.success) return { ok: false, error: ErrorCode.InvalidPayload };
  const { userID, before, limit } = result.data;
  return {
    ok: true,
    value: limit === undefined ? { userID, before } : { userID, before, limit },
  };
}

/** `auth.directory` as the server reads it: only `paged` opts in, anything else is the guide's. */
export function parseDirectoryMode(input: unknown): DirectoryMode {
  return input === 'paged' ? 'paged' : 'guide';
}

/** An opaque cursor: a name and an id, so a little over their two bounds. */
const CURSOR_MAX_LENGTH = 256;

const fetchUsersPageSchema = z.object({
  query: z.optional(
    z.string().check(z.maxLength(USERNAME_MAX_LENGTH), noControlCharacters),
  ),
  after: z.optional(z.string().check(z.maxLength(CURSOR_MAX_LENGTH))),
  limit: z.optional(z.int().check(z.minimum(1), z.maximum(FETCH_USERS_MAX))),
});

const fetchUsersByIdSchema = z.object({
  userIDs: z
    .array(idSchema)
    .check(z.minLength(1), z.maxLength(FETCH_USERS_MAX)),
});

/**
 * Validates a `fetch users` payload: `{ userIDs }` asks for those users, anything else for a page.
 * Unknown keys are dropped; a blank `query` is no query.
 */
export function validateFetchUsers(
  input: unknown,
): Validation<FetchUsersInput, typeof ErrorCode.InvalidPayload> {
  const invalid = { ok: false, error: ErrorCode.InvalidPayload } as const;
  if (typeof input === 'object' && input !== null && 'userIDs' in input) {
    const result = z.safeParse(fetchUsersByIdSchema, input);
    return result.success
      ? { ok: true, value: { userIDs: result.data.userIDs } }
      : invalid;
  }
  const result = z.safeParse(fetchUsersPageSchema, input);
  if (!result.success) return invalid;
  const { after, limit } = result.data;
  const query = result.data.query?.trim();
  return {
    ok: true,
    value: {
      ...(query && { query }),
      ...(after !== undefined && { after }),
      ...(limit !== undefined && { limit }),
    },
  };
}
