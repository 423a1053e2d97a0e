import type { Message, Settings, UserView } from './models';

/** Short, machine-readable reasons in `{ ok: false, error }` acknowledgements. */
export const ErrorCode = {
  InvalidPayload: 'invalid payload',
  UnknownRecipient: 'unknown recipient',
  TooLarge: 'too large',
  RateLimited: 'rate limited',
  Unavailable: 'unavailable',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export type Ack<T extends object> =
  | ({ ok: true } & T)
  | { ok: false; error: ErrorCode };

export type PrivateMessageAck = Ack<{ message: Message }>;

/** Older messages, oldest first; `hasMore` says whether an even older page exists. */
export type FetchMessagesAck = Ack<{ messages: Message[]; hasMore: boolean }>;

/**
 * Users of the directory, each with `messages: []` (conversations arrive with `users` and
 * `fetch messages`). From then on the client receives those users' `user connected` and
 * `user disconnected`. `next`, on a page only, is the cursor of the following page, absent on
 * the last one. A user the client asked for by id but who does not exist is left out.
 */
export type FetchUsersAck = Ack<{ users: UserView[]; next?: string }>;

/** `receipt` with an acknowledgement: applied (or older than the stored markers: nothing to do). */
export type ReceiptAck = Ack<object>;

/** `settings`: the user's settings after the change. */
export type SettingsAck = Ack<{ settings: Settings }>;
