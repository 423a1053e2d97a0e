import type { SendFailure } from '../outbox/outbox.models';

export interface UsernameRefusal {
  kind: 'username';
  message: string;
}

export type ChatError = UsernameRefusal | SendFailure;
