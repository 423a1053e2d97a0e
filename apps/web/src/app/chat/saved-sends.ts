import { DOCUMENT, InjectionToken, inject } from '@angular/core';
import {
  parseSessionId,
  validatePrivateMessage,
  validateUsername,
} from '@chat/contracts';
import type { SavedSend } from './pending-sends';

/** The part of the Web Storage API the app uses. */
export type KeyValueStorage = Pick<
  Storage,
  'getItem' | 'setItem' | 'removeItem'
>;

/**
 * This tab's `sessionStorage`, or null where the browser denies it (reading the property itself
 * can throw). Per tab and kept across reloads only: unsent text does not outlive the tab on a
 * shared machine, and two tabs never hold (and resend) the same queue.
 */
export const SESSION_STORAGE = new InjectionToken<KeyValueStorage | null>(
  'SessionStorage',
  {
    providedIn: 'root',
    factory: () => {
      try {
        return inject(DOCUMENT).defaultView?.sessionStorage ?? null;
      } catch {
        return null;
      }
    },
  },
);

/** sessionStorage key of the pending sends. */
export const SAVED_SENDS_KEY = 'pendingSends';

/** The pending sends of one identity, oldest first. */
export interface SavedSends {
  userID: string;
  sends: readonly SavedSend[];
}

/**
 * The pending sends kept across a reload. Storage may be missing or throw (quota, privacy
 * modes): then nothing survives a reload, and sending works as before. What is read back is
 * validated: a malformed queue counts as none, a malformed send is dropped.
 */
export class SavedSendsStorage {
  constructor(private readonly storage: KeyValueStorage | null) {}

  read(): SavedSends | null {
    try {
      return parseSavedSends(this.storage?.getItem(SAVED_SENDS_KEY) ?? null);
    } catch {
      return null;
    }
  }

  /** Nothing pending: the key goes. */
  write(saved: SavedSends): void {
    if (!saved.sends.length) {
      this.clear();
      return;
    }
    try {
      this.storage?.setItem(SAVED_SENDS_KEY, JSON.stringify(saved));
    } catch {
      // Full or denied: an older copy must not come back after a reload.
      this.clear();
    }
  }

  clear(): void {
    try {
      this.storage?.removeItem(SAVED_SENDS_KEY);
    } catch {
      // nothing stored to forget
    }
  }
}

export function parseSavedSends(raw: string | null): SavedSends | null {
  if (!raw) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isRecord(value) || !Array.isArray(value['sends'])) return null;
  const userID = parseSessionId(value['userID']);
  if (!userID) return null;
  const sends: SavedSend[] = [];
  for (const item of value['sends']) {
    const send = parseSavedSend(item);
    if (send) sends.push(send);
  }
  return { userID, sends };
}

function parseSavedSend(item: unknown): SavedSend | null {
  if (!isRecord(item)) return null;
  const { createdAt, attempts, toName } = item;
  // Checked as the server will check it, and it must carry its key.
  const valid = validatePrivateMessage(item);
  if (!valid.ok) return null;
  const { clientMessageId, to, content } = valid.value;
  if (clientMessageId === undefined) return null;
  if (typeof createdAt !== 'number' || !Number.isFinite(createdAt)) return null;
  if (
    typeof attempts !== 'number' ||
    !Number.isInteger(attempts) ||
    attempts < 0
  )
    return null;
  const name = validateUsername(toName);
  return {
    clientMessageId,
    to,
    // Display only: without a valid one the conversation shows a stand-in until looked up.
    ...(name.ok && { toName: name.value }),
    content,
    createdAt,
    attempts,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}
