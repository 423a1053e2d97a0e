import type { Message } from './models';

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
