import { Injectable, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { ChatEvent, type Receipt, type UserView } from '@chat/contracts';
import { onChatEvent } from '../core/chat-socket';
import { ConnectionStore } from '../core/connection.store';
import { DirectoryStore } from '../directory/directory.store';
import { newerId } from '../read-state/unread';
import { SettingsStore } from '../settings/settings.store';

/** How far the other user of a conversation got with my messages. */
export interface TheirMarkers {
  /** A client of theirs holds my messages up to this id. */
  delivered?: string;
  /** They read my messages up to this id (both of us with read receipts on). */
  read?: string;
  /** When `read` moved there, where this tab saw it move (ISO 8601). */
  readAt?: string;
}

/**
 * What happened to my messages: per conversation, the other user's delivered and read markers
 * (`theirDeliveredUpTo` / `theirReadUpTo` of `users`, then `receipt` events). Forward only. With
 * my own read receipts off I see nobody's (as the server does from then on: delivered still
 * shows).
 */
@Injectable({ providedIn: 'root' })
export class ReceiptsStore {
  private readonly connection = inject(ConnectionStore);
  private readonly settings = inject(SettingsStore);
  private readonly held = signal<ReadonlyMap<string, TheirMarkers>>(new Map());

  /** Per conversation (keyed by the other user's id), their markers over my messages. */
  readonly markers = computed<ReadonlyMap<string, TheirMarkers>>(() => {
    const held = this.held();
    if (this.settings.readReceipts()) return held;
    const delivered = new Map<string, TheirMarkers>();
    for (const [userID, markers] of held)
      if (markers.delivered !== undefined)
        delivered.set(userID, { delivered: markers.delivered });
    return delivered;
  });

  constructor() {
    onChatEvent(ChatEvent.Receipt, (receipt) => this.onReceipt(receipt));
    this.connection.identityEnded$
      .pipe(takeUntilDestroyed())
      .subscribe(() => this.held.set(new Map()));
    inject(DirectoryStore)
      .forgotten$.pipe(takeUntilDestroyed())
      .subscribe((userID) => {
        if (!this.held().has(userID)) return;
        const rest = new Map(this.held());
        rest.delete(userID);
        this.held.set(rest);
      });
  }

  /** The markers of a `users` replay (the newer where this tab saw more). */
  replay(views: readonly UserView[]): void {
    let held: Map<string, TheirMarkers> | null = null;
    for (const view of views) {
      if (!view.theirDeliveredUpTo && !view.theirReadUpTo) continue;
      const merged = merge(this.held().get(view.userID), {
        delivered: view.theirDeliveredUpTo,
        read: view.theirReadUpTo,
      });
      if (merged === this.held().get(view.userID)) continue;
      held ??= new Map(this.held());
      held.set(view.userID, merged);
    }
    if (held) this.held.set(held);
  }

  private onReceipt({ userID, delivered, read, at }: Receipt): void {
    const current = this.held().get(userID);
    const merged = merge(current, { delivered, read, readAt: at });
    if (merged !== current)
      this.held.set(new Map(this.held()).set(userID, merged));
  }
}

/** `current` moved forward by `next` (a read also means delivered); `current` if nothing moved. */
function merge(
  current: TheirMarkers | undefined,
  next: TheirMarkers,
): TheirMarkers {
  const read = newerId(current?.read, next.read);
  const delivered = newerId(newerId(current?.delivered, next.delivered), read);
  if (current && read === current.read && delivered === current.delivered)
    return current;
  const readAt = read !== current?.read ? next.readAt : current?.readAt;
  return {
    ...(delivered !== undefined && { delivered }),
    ...(read !== undefined && { read }),
    ...(readAt !== undefined && { readAt }),
  };
}
