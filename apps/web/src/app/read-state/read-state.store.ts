import { DestroyRef, Injectable, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import {
  ChatEvent,
  ErrorCode,
  type ReadMarker as ReadMarkerEvent,
  type ReceiptAck,
  type ReceiptInput,
  type UserView,
} from '@chat/contracts';
import { Backoff } from '../core/backoff';
import { CHAT_CONFIG } from '../core/chat-config';
import { CHAT_SOCKET, onChatEvent, unavailable } from '../core/chat-socket';
import { ConnectionStore } from '../core/connection.store';
import { Generation } from '../core/generation';
import { LOCAL_STORAGE, SafeStorage } from '../core/web-storage';
import { DirectoryStore } from '../directory/directory.store';
import { type ReadMarker, newerId } from './unread';

/** At most one `receipt` per conversation in this time (PROTOCOL: the server's budget). */
export const RECEIPT_INTERVAL_MS = 250;

/** The localStorage read marks of earlier versions, now kept by the server. */
const LEGACY_MARKS_PREFIX = 'lastRead:';

/** What we told, or are about to tell, the server of one conversation. */
interface Outgoing {
  /** Asked for: queued or sent (forward only). */
  delivered?: string;
  read?: string;
  /** Queued, not sent yet. */
  due: ReceiptInput | null;
  lastSentAt: number;
  timer: ReturnType<typeof setTimeout> | null;
  retry: Backoff;
}

/**
 * How far I read each conversation, kept by the server (`read marker`, and `readUpTo` / `unread`
 * of `users`), so every tab and device shows the same unread counts and they survive a reload.
 * What this tab holds and shows is told to the server by `receipt`: `delivered` for every message
 * of theirs held, `read` once a person saw it (ConversationsStore decides: open and visible). A
 * read shows here at once; the server's marker then reaches the other tabs. At most one receipt
 * per conversation every RECEIPT_INTERVAL_MS: what comes meanwhile joins the next one.
 */
@Injectable({ providedIn: 'root' })
export class ReadStateStore {
  private readonly socket = inject(CHAT_SOCKET);
  private readonly config = inject(CHAT_CONFIG);
  private readonly connection = inject(ConnectionStore);
  private readonly local = new SafeStorage(inject(LOCAL_STORAGE));
  private readonly markers = signal<ReadonlyMap<string, ReadMarker>>(new Map());
  private readonly outgoing = new Map<string, Outgoing>();
  private readonly epoch = new Generation();

  /** Per conversation (keyed by the other user's id), my read marker. */
  readonly readMarkers = this.markers.asReadonly();

  constructor() {
    onChatEvent(ChatEvent.ReadMarker, (marker) => this.onReadMarker(marker));
    this.connection.identityEnded$
      .pipe(takeUntilDestroyed())
      .subscribe(() => this.reset());
    this.connection.sessionStarted$
      .pipe(takeUntilDestroyed())
      .subscribe(({ userID }) =>
        this.local.remove(`${LEGACY_MARKS_PREFIX}${userID}`),
      );
    inject(DirectoryStore)
      .forgotten$.pipe(takeUntilDestroyed())
      .subscribe((userID) => this.forget(userID));
    inject(DestroyRef).onDestroy(() => this.cancelAll());
  }

  /**
   * The server's markers of a `users` replay. A marker moved here since (a read whose receipt
   * is on its way) stays, and its count is then what is held here.
   */
  replay(views: readonly UserView[]): void {
    const selfID = this.connection.userID();
    let markers: Map<string, ReadMarker> | null = null;
    for (const view of views) {
      if (view.userID === selfID || view.unread === undefined) continue;
      const held = this.markers().get(view.userID)?.read;
      const read = newerId(held, view.readUpTo);
      markers ??= new Map(this.markers());
      markers.set(view.userID, {
        ...(read !== undefined && { read }),
        ...(read === view.readUpTo && { unread: view.unread }),
      });
    }
    if (markers) this.markers.set(markers);
  }

  /** A message of theirs arrived live: the server's count of the conversation grows with it. */
  arrived(userID: string, messageId: string): void {
    const marker = this.markers().get(userID);
    if (
      marker?.unread === undefined ||
      (marker.read !== undefined && messageId <= marker.read)
    )
      return;
    this.setMarker(userID, { ...marker, unread: marker.unread + 1 });
  }

  /** This tab holds their messages up to `messageId`: the server is told (once). */
  markDelivered(userID: string, messageId: string): void {
    const out = this.outgoingOf(userID);
    if (
      messageId <= (out.delivered ?? '') ||
      messageId <= (this.markers().get(userID)?.read ?? '')
    )
      return;
    out.delivered = messageId;
    this.queue(userID, out, { delivered: messageId });
  }

  /**
   * A person saw the conversation with `userID` up to `messageId`: it is read here at once (the
   * marker moves, never back) and the server is told, which tells our other tabs and the sender.
   */
  markRead(userID: string, messageId: string): void {
    if (!this.connection.userID()) return;
    const marker = this.markers().get(userID);
    if (marker?.read === undefined || messageId > marker.read)
      this.setMarker(userID, { read: messageId });
    const out = this.outgoingOf(userID);
    if (messageId <= (out.read ?? '')) return;
    out.read = messageId;
    out.delivered = newerId(out.delivered, messageId);
    this.queue(userID, out, { read: messageId });
  }

  /** Our marker moved on some tab (this one too): the server's count comes with it. */
  private onReadMarker({ userID, read, unread }: ReadMarkerEvent): void {
    const held = this.markers().get(userID)?.read;
    if (held !== undefined && held > read) return;
    this.setMarker(userID, { read, unread });
  }

  private queue(userID: string, out: Outgoing, receipt: Partial<ReceiptInput>) {
    const due = { userID, ...out.due, ...receipt };
    // A read moves the delivered marker too: one field says both.
    if (due.read !== undefined && (due.delivered ?? '') <= due.read)
      delete due.delivered;
    out.due = due;
    if (out.timer) return;
    const wait = out.lastSentAt + RECEIPT_INTERVAL_MS - Date.now();
    if (wait <= 0) this.flush(userID, out);
    else out.timer = setTimeout(() => this.flush(userID, out), wait);
  }

  private flush(userID: string, out: Outgoing): void {
    out.timer = null;
    const receipt = out.due;
    out.due = null;
    if (!receipt) return;
    // While the link is down nothing goes: the replay after the reconnect asks again.
    if (!this.connection.connected()) {
      this.forgetAsked(out, receipt);
      return;
    }
    out.lastSentAt = Date.now();
    const epoch = this.epoch.token();
    this.socket.emitWithAck(ChatEvent.Receipt, receipt).then(
      (ack) => this.settle(epoch, userID, receipt, ack),
      () => this.settle(epoch, userID, receipt, unavailable()),
    );
  }

  /**
   * A refused receipt is asked again later (with growing delays), unless a newer one went
   * meanwhile; `invalid payload` is final (no such message of theirs: nothing to tell).
   */
  private settle(
    epoch: number,
    userID: string,
    receipt: ReceiptInput,
    ack: ReceiptAck,
  ): void {
    const out = this.outgoing.get(userID);
    if (!this.epoch.isCurrent(epoch) || !out) return;
    if (ack.ok || ack.error === ErrorCode.InvalidPayload) {
      out.retry.reset();
      return;
    }
    out.retry.schedule(() => {
      const again: Partial<ReceiptInput> = {};
      if (receipt.read !== undefined && receipt.read === out.read)
        again.read = receipt.read;
      if (
        receipt.delivered !== undefined &&
        receipt.delivered === out.delivered
      )
        again.delivered = receipt.delivered;
      if (again.read !== undefined || again.delivered !== undefined)
        this.queue(userID, out, again);
    });
  }

  /** What was not sent will be asked for again, however old. */
  private forgetAsked(out: Outgoing, receipt: ReceiptInput): void {
    if (receipt.read === out.read) out.read = undefined;
    if (receipt.delivered === out.delivered || receipt.read !== undefined)
      out.delivered = undefined;
  }

  private outgoingOf(userID: string): Outgoing {
    let out = this.outgoing.get(userID);
    if (!out) {
      out = {
        due: null,
        lastSentAt: -Infinity,
        timer: null,
        retry: new Backoff(
          this.config.retryDelayMs,
          this.config.maxRetryDelayMs,
        ),
      };
      this.outgoing.set(userID, out);
    }
    return out;
  }

  private setMarker(userID: string, marker: ReadMarker): void {
    this.markers.set(new Map(this.markers()).set(userID, marker));
  }

  /** The user was forgotten: nothing of their conversation stays or goes out. */
  private forget(userID: string): void {
    const out = this.outgoing.get(userID);
    if (out) {
      if (out.timer) clearTimeout(out.timer);
      out.retry.cancel();
      this.outgoing.delete(userID);
    }
    if (!this.markers().has(userID)) return;
    const markers = new Map(this.markers());
    markers.delete(userID);
    this.markers.set(markers);
  }

  private reset(): void {
    this.epoch.next();
    this.cancelAll();
    this.outgoing.clear();
    this.markers.set(new Map());
  }

  private cancelAll(): void {
    for (const out of this.outgoing.values()) {
      if (out.timer) clearTimeout(out.timer);
      out.retry.cancel();
    }
  }
}
