import type { ErrorCode } from '@chat/contracts';

/** A message the server did not take; `content` lets the panel give the text back. */
export interface SendFailure {
  kind: 'send';
  to: string;
  content: string;
  code: ErrorCode;
  message: string;
}

export interface UsernameRefusal {
  kind: 'username';
  message: string;
}

export type ChatError = UsernameRefusal | SendFailure;
