import {
  DestroyRef,
  Injectable,
  computed,
  inject,
  signal,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import {
  ChatEvent,
  ErrorCode,
  MESSAGE_MAX_LENGTH,
  type Message,
  type PrivateMessageAck,
  type UserView,
  validatePrivateMessage,
} from '@chat/contracts';
import { Backoff } from '../core/backoff';
import { CHAT_CONFIG } from '../core/chat-config';
import { CHAT_SOCKET, unavailable } from '../core/chat-socket';
import { ConnectionStore } from '../core/connection.store';
import { Generation } from '../core/generation';
import { SESSION_STORAGE } from '../core/web-storage';
import type { ChatMessage } from '../conversations/conversation.models';
import { ConversationsStore } from '../conversations/conversations.store';
import { DirectoryStore } from '../directory/directory.store';
import {
  type PendingSend,
  type SavedSend,
  type SendFailure,
  newClientMessageId,
} from './outbox.models';
import { SavedSendsStorage } from './saved-sends';

const SEND_ERROR_TEXT: Record<ErrorCode, string> = {
  [ErrorCode.InvalidPayload]: 'The message was refused as invalid.',
  [ErrorCode.UnknownRecipient]: 'This user is unknown to the server.',
  [ErrorCode.TooLarge]: `The message is too long (at most ${MESSAGE_MAX_LENGTH} characters).`,
  [ErrorCode.RateLimited]: 'Too many messages: wait a moment and try again.',
  [ErrorCode.Unavailable]:
    'The server did not confirm the message after several attempts.',
};

/** Failures after which the message stays, with Retry. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.Unavailable,
  ErrorCode.RateLimited,
]);

interface Entry extends PendingSend, SavedSend {
  /** Emitted and not answered yet; otherwise it waits for its next attempt. */
  readonly inFlight: boolean;
}

/**
 * Our messages on their way: they survive a lost connection and a reload of the tab, and are
 * delivered exactly once (see the web README, "Sending through a lost connection").
 *
 * A send shows at once in its conversation as pending, and is `waiting` (written, not emitted
 * yet, or emitted and answered `unavailable`) or `in flight`. It leaves the queue on an
 * acknowledgement or when the replay shows it stored (the stored message then replaces it), on a
 * definitive error, or when its attempts or its age run out (then it fails: `sendFailure`). Every
 * attempt carries the same `clientMessageId`, so the server stores it once however often it
 * arrives.
 *
 * Waiting sends go again, in the order they were written, once the server has replayed `users`
 * after a reconnect and, while connected, after a growing delay. A new send waits behind the
 * waiting ones of its conversation, and nothing is emitted while the link is down (socket.io
 * would buffer it and send it on reconnect, ahead of the older ones). Every change of the queue
 * is saved in sessionStorage, and taken back after a reload.
 */
@Injectable({ providedIn: 'root' })
export class OutboxStore {
  private readonly socket = inject(CHAT_SOCKET);
  private readonly config = inject(CHAT_CONFIG);
  private readonly connection = inject(ConnectionStore);
  private readonly directory = inject(DirectoryStore);
  private readonly conversations = inject(ConversationsStore);
  /** The queue, kept across a reload of this tab (sessionStorage). */
  private readonly saved = new SavedSendsStorage(inject(SESSION_STORAGE));

  private readonly queue = signal<readonly Entry[]>([]);
  private readonly failure = signal<SendFailure | null>(null);
  /** Moves on when the identity goes (and the page): answers to emits of before are ignored. */
  private readonly generation = new Generation();
  /** One timer for all waiting sends; the delay grows until a send goes through. */
  private readonly retryTimer = new Backoff(
    this.config.retryDelayMs,
    this.config.maxRetryDelayMs,
  );

  /** The last send that failed, whatever conversation is on screen. */
  readonly lastFailure = this.failure.asReadonly();
  /** A failed send, only while its conversation is the one on screen. */
  readonly sendFailure = computed<SendFailure | null>(() => {
    const failure = this.failure();
    return failure?.to === this.conversations.selectedUserID() ? failure : null;
  });

  constructor() {
    this.conversations.replays$
      .pipe(takeUntilDestroyed())
      .subscribe((views) => this.onReplay(views));
    this.directory.forgotten$
      .pipe(takeUntilDestroyed())
      .subscribe((userID) => this.onForgotten(userID));
    this.connection.identityEnded$
      .pipe(takeUntilDestroyed())
      .subscribe((end) => {
        if (end === 'signed-out') this.failure.set(null);
        this.forget();
      });
    // The page goes: answers are ignored from now on, and what is saved stays for a reload.
    inject(DestroyRef).onDestroy(() => {
      this.generation.next();
      this.retryTimer.cancel();
    });
    this.restore();
  }

  /**
   * Sends to the conversation on screen. The message shows at once as pending and is replaced by
   * the stored one when the server acknowledges it (the server echoes only to our other tabs).
   * Unanswered, it stays pending and is sent again; refused or given up on, it is removed with a
   * `sendFailure`. False if nothing was sent. After a reload, before the server says who we are,
   * it joins the restored sends (and shares their fate).
   */
  send(content: string): boolean {
    // Only to a conversation that can be shown (a link may name someone who does not exist).
    const to = this.conversations.selectedUser()?.userID;
    const selfID = this.connection.ownerID();
    if (!to || !selfID) return false;
    const valid = validatePrivateMessage({ content, to });
    if (!valid.ok) {
      this.fail(to, content, valid.error);
      return false;
    }
    this.failure.set(null);
    // Its acknowledgement comes asynchronously, after the pending message is shown.
    this.show(selfID, this.enqueue(newClientMessageId(), to, content));
    return true;
  }

  /**
   * A failed message of ours goes again, with the same `clientMessageId` (stored once, whatever
   * became of the attempts before), and fresh attempt and age bounds.
   */
  retry(message: ChatMessage): void {
    const { failed, clientMessageId, to, content } = message;
    const selfID = this.connection.ownerID();
    if (!failed || !clientMessageId || !selfID) return;
    if (this.failure()?.content === content) this.failure.set(null);
    this.conversations.setFailed(to, message.id, false);
    this.enqueue(clientMessageId, to, content);
  }

  /** A new send joins the queue, and goes at once unless others wait before it. */
  private enqueue(clientMessageId: string, to: string, content: string) {
    const peer = this.directory.find(to);
    const toName = peer && !peer.placeholder ? peer.username : undefined;
    const entry = toEntry({
      clientMessageId,
      to,
      ...(toName && { toName }),
      content,
      createdAt: Date.now(),
      attempts: 0,
    });
    const behind = this.queue().some((e) => e.to === to && !e.inFlight);
    this.setQueue([...this.queue(), entry]);
    if (!behind && this.connection.connected()) this.emit(entry);
    return entry;
  }

  /**
   * At start, with a stored session: the sends saved before a reload show again at once and wait
   * (as `waiting`) for the replay. Without one (logged out in another tab): they belong to no one.
   */
  private restore(): void {
    if (!this.connection.hasStoredSession()) {
      this.saved.clear();
      return;
    }
    const saved = this.saved.read();
    if (!saved) return;
    this.connection.assume(saved.userID);
    // A send saved twice is queued once.
    const ids = new Set<string>();
    const entries: Entry[] = [];
    for (const send of saved.sends) {
      if (ids.has(send.clientMessageId)) continue;
      ids.add(send.clientMessageId);
      entries.push(toEntry(send));
    }
    if (entries.length) this.setQueue(entries);
    for (const entry of entries) this.show(saved.userID, entry);
  }

  /**
   * The replay after a (re)connect: a send of ours it holds already (stored, its acknowledgement
   * lost: same `clientMessageId`) is delivered at once and never sent again, and an answer to it
   * still on its way is then ignored; every other waiting send goes again, in order.
   */
  private onReplay(views: readonly UserView[]): void {
    const selfID = this.connection.userID();
    if (selfID)
      for (const view of views)
        for (const message of view.messages ?? []) {
          const { clientMessageId } = message;
          if (message.from !== selfID || clientMessageId === undefined)
            continue;
          const entry = this.queue().find(
            (e) => e.clientMessageId === clientMessageId,
          );
          if (entry) this.deliver(entry, message);
        }
    this.retryTimer.cancel();
    this.flush();
  }

  /**
   * The server forgot them: sends to them could only fail as `unknown recipient`, so they leave
   * the queue (and the saved copy) at once, without a failure: their conversation is gone, there
   * is nowhere to report it. Late answers are ignored.
   */
  private onForgotten(userID: string): void {
    if (this.queue().some((e) => e.to === userID))
      this.setQueue(this.queue().filter((e) => e.to !== userID));
    // A failed send to them could only be shown in their conversation.
    if (this.failure()?.to === userID) this.failure.set(null);
  }

  /** Logout or a new identity: pending sends are dropped (saved ones too) and their answers ignored. */
  private forget(): void {
    this.generation.next();
    this.retryTimer.cancel();
    this.setQueue([]);
    this.retryTimer.reset();
  }

  private flush(): void {
    for (const entry of this.queue()) {
      if (entry.inFlight) continue;
      // Restored sends may have used up their attempts before the reload.
      if (this.tooOld(entry) || entry.attempts >= this.config.sendMaxAttempts)
        this.giveUp(entry, ErrorCode.Unavailable);
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
    // A timeout or a lost link answers `unavailable`, never rejects.
    this.socket
      .emitWithAck(ChatEvent.PrivateMessage, { content, to, clientMessageId })
      .catch(unavailable)
      .then(
        (ack) => this.generation.isCurrent(token) && this.settle(sent, ack),
      );
  }

  private settle(entry: Entry, ack: PrivateMessageAck): void {
    // Delivered meanwhile (by the replay), or its recipient forgotten: a late answer changes nothing.
    if (!this.queue().some((e) => e.clientMessageId === entry.clientMessageId))
      return;
    if (ack.ok) {
      this.deliver(entry, ack.message);
      return;
    }
    if (
      ack.error !== ErrorCode.Unavailable ||
      entry.attempts >= this.config.sendMaxAttempts ||
      this.tooOld(entry)
    ) {
      this.giveUp(entry, ack.error);
      return;
    }
    this.replace(entry, { ...entry, inFlight: false });
    // While the link is down, the replay after the reconnect sends it again.
    if (this.connection.connected()) this.scheduleRetry();
  }

  /** Stored: `message` replaces the pending one (the replay may have brought it already). */
  private deliver(entry: Entry, message: Message): void {
    this.remove(entry);
    this.retryTimer.reset();
    this.conversations.settlePending(entry.to, entry.localId, message);
  }

  /**
   * Refused, or given up on, and the user is told why. Where sending again later may work (no
   * answer, too many messages), the message stays, failed, with Retry; otherwise it goes and its
   * text returns to the field.
   */
  private giveUp(entry: Entry, code: ErrorCode): void {
    this.remove(entry);
    const kept = RETRYABLE.has(code);
    if (kept) this.conversations.setFailed(entry.to, entry.localId, true);
    else this.conversations.settlePending(entry.to, entry.localId, null);
    this.fail(entry.to, entry.content, code, kept);
  }

  private fail(to: string, content: string, code: ErrorCode, kept = false) {
    this.failure.set({
      kind: 'send',
      to,
      content,
      code,
      message: SEND_ERROR_TEXT[code] ?? `Not sent: ${code}.`,
      kept,
    });
  }

  /** A waiting timer is left to run: a later failure does not push it back. */
  private scheduleRetry(): void {
    if (this.retryTimer.scheduled) return;
    this.retryTimer.schedule(() => {
      if (this.connection.connected()) this.flush();
    });
  }

  /** Past this age a send is given up rather than sent again (the server remembers ids a day). */
  private tooOld(entry: Entry): boolean {
    return Date.now() - entry.createdAt > this.config.sendMaxAgeMs;
  }

  /** A send shows as pending at the end of its conversation. */
  private show(from: string, send: PendingSend): void {
    this.conversations.showPending(
      {
        id: send.localId,
        content: send.content,
        from,
        to: send.to,
        at: new Date(send.createdAt).toISOString(),
        fromSelf: true,
        pending: true,
        clientMessageId: send.clientMessageId,
      },
      send.toName,
    );
  }

  private replace(entry: Entry, next: Entry): Entry {
    this.setQueue(
      this.queue().map((e) =>
        e.clientMessageId === entry.clientMessageId ? next : e,
      ),
    );
    return next;
  }

  private remove(entry: Entry): void {
    this.setQueue(
      this.queue().filter((e) => e.clientMessageId !== entry.clientMessageId),
    );
  }

  /** Every change is saved, so that a reload can take the queue back (empty: nothing saved). */
  private setQueue(queue: readonly Entry[]): void {
    this.queue.set(queue);
    const userID = this.connection.ownerID();
    if (!userID) {
      this.saved.clear();
      return;
    }
    this.saved.write({
      userID,
      sends: queue.map(
        ({ clientMessageId, to, toName, content, createdAt, attempts }) => ({
          clientMessageId,
          to,
          ...(toName !== undefined && { toName }),
          content,
          createdAt,
          attempts,
        }),
      ),
    });
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
