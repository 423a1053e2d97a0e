import type { ErrorCode } from '@chat/contracts';

/** One message of ours on its way: shown as pending in its conversation until it settles. */
export interface PendingSend {
  /** The pending message's id in its conversation (never one the server hands out). */
  readonly localId: string;
  /** Ours for the server, the same on every attempt: a repeat is stored once. */
  readonly clientMessageId: string;
  readonly to: string;
  /** The recipient's name when it was written: shows the conversation again after a reload. */
  readonly toName?: string;
  readonly content: string;
  /** When it was written (`Date.now()`), for the age bound. */
  readonly createdAt: number;
}

/** What is kept of a pending send across a reload of the tab (see `saved-sends.ts`). */
export interface SavedSend extends Omit<PendingSend, 'localId'> {
  /** Emits so far. */
  readonly attempts: number;
}

/** A message the server did not take; `content` lets the panel give the text back. */
export interface SendFailure {
  kind: 'send';
  to: string;
  content: string;
  code: ErrorCode;
  message: string;
  /** The message stays in its conversation, failed, with Retry: its text is not given back. */
  kept?: boolean;
}

/**
 * 16 random bytes as base64url (22 characters). `crypto.getRandomValues`, not `randomUUID`:
 * the latter exists only in secure contexts, and the app may be served over plain http.
 */
export function newClientMessageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary)
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}
