import * as z from 'zod/mini';
import { ErrorCode } from './ack';
import type {
  DirectoryMode,
  FetchMessagesInput,
  FetchUsersInput,
  PrivateMessageInput,
  ReceiptInput,
  Settings,
  SettingsInput,
  TypingInput,
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
/**
 * The `typing: true` notices the server forwards per sender and recipient: a bucket of `burst`,
 * refilled at `perSecond` (PROTOCOL.md); beyond it a `true` is dropped.
 */
export const TYPING_BUDGET = { burst: 2, perSecond: 2 } as const;
/** Server-made ids are far shorter; anything longer is not one of ours. */
const ID_MAX_LENGTH = 128;

// zod/mini keeps the web bundle small; the same schemas run on the server.
const noControlCharacters = z.regex(
  /^[^\p{Cc}]*$/u,
  'must not contain control characters',
);

/** Lone surrogates (a `\p{Cs}` in a `u` regex matches only unpaired ones): not well-formed Unicode. */
const LONE_SURROGATE = /\p{Cs}/u;
const wellFormed = z.refine<string>(
  (value: string) => !LONE_SURROGATE.test(value),
  'must be well-formed Unicode (no lone surrogates)',
);

/**
 * Bidirectional controls (embeddings, overrides, isolates, marks): they reorder what is shown
 * around them, so "\u202Enimda" reads "admin". All are format characters (Cf), named apart for
 * a clearer reason.
 */
const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
/**
 * Characters that show as nothing or as blank space: every other format character (Cf: zero-width
 * space and joiners, word joiner, soft hyphen, BOM, invisible operators, tags...), the combining
 * grapheme joiner, the Hangul fillers and the Braille blank (letters and symbols by category, yet
 * drawn empty: favourites for blank or look-alike names).
 */
const INVISIBLE = /[\p{Cf}\u034F\u115F\u1160\u3164\uFFA0\u2800]/u;
/** A zero-width joiner inside an emoji sequence (👩‍💻): it joins pictures, it hides no letter. */
const EMOJI_ZWJ =
  /(?<=[\p{Extended_Pictographic}\p{Emoji_Modifier}]\uFE0F?)\u200D(?=\p{Extended_Pictographic})/gu;
const LINE_BREAK = /[\p{Zl}\p{Zp}]/u;
const codePoint = (char: string) =>
  `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Why a (normalised) name would not show as what it is, or undefined. */
function invisibleProblem(name: string): string | undefined {
  const bidi = BIDI_CONTROL.exec(name);
  if (bidi)
    return `must not contain bidirectional control characters (${codePoint(bidi[0])})`;
  const invisible = INVISIBLE.exec(name.replace(EMOJI_ZWJ, ''));
  if (invisible)
    return `must not contain invisible characters (${codePoint(invisible[0])})`;
  const lineBreak = LINE_BREAK.exec(name);
  if (lineBreak)
    return `must not contain line breaks (${codePoint(lineBreak[0])})`;
  return undefined;
}

/**
 * Normalised to NFKC (as PRECIS's Nickname profile, RFC 8266: full-width and other compatibility
 * forms become the characters they look like, so "ａｄｍｉｎ" is stored as "admin"), runs of spaces
 * made one, trimmed; 1 to 32 characters; no control, bidirectional-control or invisible characters,
 * well-formed.
 */
export const usernameSchema = z.string({ error: 'must be a string' }).check(
  wellFormed,
  z.normalize('NFKC'),
  z.overwrite((value) => value.replace(/\p{Zs}+/gu, ' ')),
  z.trim(),
  z.minLength(1, 'must not be empty'),
  z.maxLength(
    USERNAME_MAX_LENGTH,
    `must be at most ${USERNAME_MAX_LENGTH} characters`,
  ),
  noControlCharacters,
  z.superRefine((value, ctx) => {
    const problem = invisibleProblem(value);
    if (problem)
      ctx.addIssue({ code: 'custom', message: problem, input: value });
  }),
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

/** NUL: no text column of PostgreSQL can hold it, and no one writes it. */
const noNul = z.regex(/^[^\0]*$/, 'must not contain NUL');

/** `content` is bounded separately so that an oversized one is told `too large`, not `invalid payload`. */
export const privateMessageSchema = z.object({
  content: z
    .string()
    .check(z.regex(/\S/, 'must not be blank'), wellFormed, noNul),
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
  // Normalised as usernames are, so that "ａｌ" finds "alice".
  query: z.optional(
    z
      .string()
      .check(
        z.maxLength(USERNAME_MAX_LENGTH),
        noControlCharacters,
        wellFormed,
        z.normalize('NFKC'),
      ),
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

const receiptSchema = z.object({
  userID: idSchema,
  delivered: z.optional(idSchema),
  read: z.optional(idSchema),
});

/**
 * Validates a `receipt` payload: a userID and at least one of `delivered` and `read`, each in the
 * shape of a message id (whether they name messages from `userID` to the caller is the server's
 * check). Unknown keys are dropped.
 */
export function validateReceipt(
  input: unknown,
): Validation<ReceiptInput, typeof ErrorCode.InvalidPayload> {
  const result = z.safeParse(receiptSchema, input);
  if (
    !result.success ||
    (result.data.delivered === undefined && result.data.read === undefined)
  )
    return { ok: false, error: ErrorCode.InvalidPayload };
  const { userID, delivered, read } = result.data;
  return {
    ok: true,
    value: {
      userID,
      ...(delivered !== undefined && { delivered }),
      ...(read !== undefined && { read }),
    },
  };
}

const typingSchema = z.object({ to: idSchema, typing: z.boolean() });

/** Validates a `typing` payload; unknown keys are dropped. */
export function validateTyping(
  input: unknown,
): Validation<TypingInput, typeof ErrorCode.InvalidPayload> {
  const result = z.safeParse(typingSchema, input);
  if (!result.success) return { ok: false, error: ErrorCode.InvalidPayload };
  return {
    ok: true,
    value: { to: result.data.to, typing: result.data.typing },
  };
}

const settingsSchema = z.object({
  readReceipts: z.optional(z.boolean()),
  typing: z.optional(z.boolean()),
});

/**
 * Validates a `settings` payload: an object whose `readReceipts` and `typing`, where present, are
 * booleans (none at all asks for the settings as they are). Unknown keys are dropped.
 */
export function validateSettings(
  input: unknown,
): Validation<SettingsInput, typeof ErrorCode.InvalidPayload> {
  const result = z.safeParse(settingsSchema, input);
  if (!result.success) return { ok: false, error: ErrorCode.InvalidPayload };
  const { readReceipts, typing } = result.data;
  return {
    ok: true,
    value: {
      ...(readReceipts !== undefined && { readReceipts }),
      ...(typing !== undefined && { typing }),
    },
  };
}

/** Both settings of a user who never changed them. */
export const DEFAULT_SETTINGS: Readonly<Settings> = {
  readReceipts: true,
  typing: true,
};
