import {
  ErrorCode,
  type Message,
  type PrivateMessageAck,
  type PrivateMessageInput,
} from '@chat/contracts';
import { Backoff } from '../core/backoff';
import { Generation } from '../core/generation';
import type { ChatConfig } from '../core/chat-config';

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

/** What is kept of a pending send across a reload of the tab (see `PendingSendsDeps.save`). */
export interface SavedSend extends Omit<PendingSend, 'localId'> {
  /** Emits so far. */
  readonly attempts: number;
}

interface Entry extends PendingSend, SavedSend {
  /** Emitted and not answered yet; otherwise it waits for its next attempt. */
  readonly inFlight: boolean;
}

/** What the pending sends need from ChatStore, which alone talks to the socket and holds the messages. */
export interface PendingSendsDeps {
  /** `private message` and its acknowledgement; a timeout or a lost link resolves as `unavailable`. */
  send(input: PrivateMessageInput): Promise<PrivateMessageAck>;
  isConnected(): boolean;
  /** Stored: `message` replaces the pending one (the replay may have brought it already). */
  delivered(send: PendingSend, message: Message): void;
  /** Refused, or given up on: the pending one goes and the user is told why. */
  failed(send: PendingSend, code: ErrorCode): void;
  /** The queue changed (empty: nothing pending): kept so that a reload can `restore` it. */
  save(sends: readonly SavedSend[]): void;
  config: Pick<
    ChatConfig,
    'retryDelayMs' | 'maxRetryDelayMs' | 'sendMaxAttempts' | 'sendMaxAgeMs'
  >;
}

/**
 * Sends that survive a lost connection and are delivered exactly once (see the web README).
 *
 * A send is `waiting` (written, not emitted yet, or emitted and answered `unavailable`) or
 * `in flight`. It leaves the queue on an acknowledgement or when the replay shows it stored
 * (`confirm`; both `delivered`), on a definitive error, or when its attempts or its age run out
 * (`failed`). Every attempt carries the same `clientMessageId`, so the server stores it once
 * however often it arrives.
 *
 * Waiting sends go again, in the order they were written, when the server has replayed `users`
 * after a reconnect (`resume`) and, while connected, after a growing delay. A new send waits
 * behind the waiting ones of its conversation, and nothing is emitted while the link is down
 * (socket.io would buffer it and send it on reconnect, ahead of the older ones).
 *
 * Every change of the queue is handed to `save`; after a reload, `restore` takes it back, and the
 * restored sends wait like any other for the replay (`confirm`, then `resume`).
 */
export class PendingSends {
  private queue: readonly Entry[] = [];
  /** Moved on by `forget`: answers to emits of before are ignored. */
  private readonly generation = new Generation();
  /** One timer for all waiting sends; the delay grows until a send goes through. */
  private readonly retry: Backoff;

  constructor(private readonly deps: PendingSendsDeps) {
    this.retry = new Backoff(
      deps.config.retryDelayMs,
      deps.config.maxRetryDelayMs,
    );
  }

  /** Queues a new send to `to`, and emits it unless the link is down or older ones wait first. */
  add(to: string, content: string, toName?: string): PendingSend {
    const entry = toEntry({
      clientMessageId: newClientMessageId(),
      to,
      ...(toName && { toName }),
      content,
      createdAt: Date.now(),
      attempts: 0,
    });
    const behind = this.queue.some((e) => e.to === to && !e.inFlight);
    this.setQueue([...this.queue, entry]);
    if (!behind && this.deps.isConnected()) this.emit(entry);
    return entry;
  }

  /**
   * Sends saved before a reload, queued again as waiting (ids already queued are skipped): they
   * go with the next `resume`, unless the replay shows them stored first. Returns those queued.
   */
  restore(saved: readonly SavedSend[]): PendingSend[] {
    const ids = new Set(this.queue.map((e) => e.clientMessageId));
    const entries: Entry[] = [];
    for (const send of saved) {
      if (ids.has(send.clientMessageId)) continue;
      ids.add(send.clientMessageId);
      entries.push(toEntry(send));
    }
    if (entries.length) this.setQueue([...this.queue, ...entries]);
    return entries;
  }

  /**
   * The server holds this message of ours already: the `users` replay brought it with its
   * `clientMessageId` (its first send was stored, its acknowledgement lost). The send with that
   * id, if still pending, is delivered now and never sent again; an answer to it still on its way
   * is then ignored. Nothing happens for an id not pending here.
   */
  confirm(message: Message): void {
    const { clientMessageId } = message;
    if (clientMessageId === undefined) return;
    const entry = this.queue.find((e) => e.clientMessageId === clientMessageId);
    if (entry) this.deliver(entry, message);
  }

  /** The link is back and `users` replayed: every waiting send goes again, in order. */
  resume(): void {
    this.retry.cancel();
    this.flush();
  }

  /**
   * The server forgot `to` (`user forgotten`): its sends could only fail as `unknown recipient`,
   * so they leave the queue (and the saved copy) at once, like a final error, but without
   * `failed`: their conversation is gone, there is nowhere to report it. Late answers are ignored.
   */
  forgetRecipient(to: string): void {
    if (this.queue.some((e) => e.to === to))
      this.setQueue(this.queue.filter((e) => e.to !== to));
  }

  /** Logout or a new identity: pending sends are dropped (saved ones too) and their answers ignored. */
  forget(): void {
    this.dispose();
    this.setQueue([]);
    this.retry.reset();
  }

  /** The page goes: answers are ignored from now on, and what is saved stays for a reload. */
  dispose(): void {
    this.generation.next();
    this.retry.cancel();
  }

  private flush(): void {
    for (const entry of this.queue) {
      if (entry.inFlight) continue;
      // Restored sends may have used up their attempts before the reload.
      if (
        this.tooOld(entry) ||
        entry.attempts >= this.deps.config.sendMaxAttempts
      )
        this.fail(entry, ErrorCode.Unavailable);
      else this.emit(entry);
    }
  }

  private emit(entry: Entry): void {
    const token = this.generation.token();
    const sent = this.replace(entry, {
      ...entry,
      attempts: entry.attempts + 1,
      inFlight: true,
    });
    const { clientMessageId, content, to } = entry;
    this.deps
      .send({ content, to, clientMessageId })
      .then(
        (ack) => this.generation.isCurrent(token) && this.settle(sent, ack),
      );
  }

  private settle(entry: Entry, ack: PrivateMessageAck): void {
    // Delivered meanwhile (`confirm`), or its recipient forgotten: a late answer changes nothing.
    if (!this.queue.some((e) => e.clientMessageId === entry.clientMessageId))
      return;
    if (ack.ok) {
      this.deliver(entry, ack.message);
      return;
    }
    if (
      ack.error !== ErrorCode.Unavailable ||
      entry.attempts >= this.deps.config.sendMaxAttempts ||
      this.tooOld(entry)
    ) {
      this.fail(entry, ack.error);
      return;
    }
    this.replace(entry, { ...entry, inFlight: false });
    // While the link is down, the replay after the reconnect sends it again.
    if (this.deps.isConnected()) this.scheduleRetry();
  }

  private deliver(entry: Entry, message: Message): void {
    this.remove(entry);
    this.retry.reset();
    this.deps.delivered(entry, message);
  }

  private fail(entry: Entry, code: ErrorCode): void {
    this.remove(entry);
    this.deps.failed(entry, code);
  }

  /** A waiting timer is left to run: a later failure does not push it back. */
  private scheduleRetry(): void {
    if (this.retry.scheduled) return;
    this.retry.schedule(() => {
      if (this.deps.isConnected()) this.flush();
    });
  }

  /** Past this age a send is given up rather than sent again (the server remembers ids a day). */
  private tooOld(entry: Entry): boolean {
    return Date.now() - entry.createdAt > this.deps.config.sendMaxAgeMs;
  }

  private replace(entry: Entry, next: Entry): Entry {
    this.setQueue(
      this.queue.map((e) =>
        e.clientMessageId === entry.clientMessageId ? next : e,
      ),
    );
    return next;
  }

  private remove(entry: Entry): void {
    this.setQueue(
      this.queue.filter((e) => e.clientMessageId !== entry.clientMessageId),
    );
  }

  private setQueue(queue: readonly Entry[]): void {
    this.queue = queue;
    this.deps.save(
      queue.map(
        ({ clientMessageId, to, toName, content, createdAt, attempts }) => ({
          clientMessageId,
          to,
          ...(toName !== undefined && { toName }),
          content,
          createdAt,
          attempts,
        }),
      ),
    );
  }
}

/** A send waiting for its next attempt. */
function toEntry(send: SavedSend): Entry {
  return {
    ...send,
    localId: `pending-${send.clientMessageId}`,
    inFlight: false,
  };
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
