import {
  parseSessionId,
  validatePrivateMessage,
  validateUsername,
} from '@chat/contracts';
import type { SavedSend } from './outbox.models';
import { type KeyValueStorage, SafeStorage } from '../core/web-storage';

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
  private readonly storage: SafeStorage;

  constructor(storage: KeyValueStorage | null) {
    this.storage = new SafeStorage(storage);
  }

  read(): SavedSends | null {
    return parseSavedSends(this.storage.get(SAVED_SENDS_KEY));
  }

  /** Nothing pending: the key goes. */
  write(saved: SavedSends): void {
    // Not stored (full, denied): an older copy must not come back after a reload.
    if (
      !saved.sends.length ||
      !this.storage.set(SAVED_SENDS_KEY, JSON.stringify(saved))
    )
      this.clear();
  }

  clear(): void {
    this.storage.remove(SAVED_SENDS_KEY);
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
