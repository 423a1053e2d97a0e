import {
  DOCUMENT,
  DestroyRef,
  Injectable,
  InjectionToken,
  computed,
  effect,
  inject,
  signal,
  untracked,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { ChatEvent, type Typing } from '@chat/contracts';
import { CHAT_SOCKET, onChatEvent } from '../core/chat-socket';
import { ConnectionStore } from '../core/connection.store';
import { ConversationsStore } from '../conversations/conversations.store';
import { SettingsStore } from '../settings/settings.store';
import { TypingBudget } from './typing-budget';

/** The timings of typing notices (PROTOCOL.md, "Conversation state"). */
export interface TypingTimings {
  /** While writing, `typing: true` is sent again this often. */
  refreshMs: number;
  /** A pause in writing this long sends `typing: false`. */
  idleMs: number;
  /** Someone's indicator goes after this long without a new `true` from them. */
  expiryMs: number;
}

export const TYPING_TIMINGS = new InjectionToken<TypingTimings>(
  'TypingTimings',
  {
    providedIn: 'root',
    factory: () => ({ refreshMs: 10_000, idleMs: 5_000, expiryMs: 15_000 }),
  },
);

/** Where our own typing notices stand: to whom, and when the last `true` went. */
interface Outgoing {
  to: string;
  /** When the last `true` went (-Infinity: none yet, the next keystroke says it). */
  sentAt: number;
  /** A `true` went: the `false` is owed. */
  shown: boolean;
  idle?: ReturnType<typeof setTimeout>;
  /** A `true` waiting for the recipient's budget. */
  paced?: ReturnType<typeof setTimeout>;
}

/**
 * Typing, both ways. Ours: the composer reports each change of its draft (`draftChanged`), and
 * the store sends `typing` as PROTOCOL.md times it: `true` at the first keystroke and every
 * `refreshMs` while writing, `false` after `idleMs` without input, when the draft empties (a send
 * empties it), when the conversation is left and when the tab closes. Theirs: who is writing to us
 * now (`typingUserIDs`), each until their `false`, their message, or `expiryMs` without a new
 * `true`. A notice the link cannot carry now would be stale later: it is dropped, never queued. Our
 * `true`s are paced to the server's budget per recipient (TypingBudget), so a quick retype after a
 * send still shows. With typing indicators off (SettingsStore), neither way: the server would drop
 * them anyway.
 */
@Injectable({ providedIn: 'root' })
export class TypingStore {
  private readonly socket = inject(CHAT_SOCKET);
  private readonly connection = inject(ConnectionStore);
  private readonly conversations = inject(ConversationsStore);
  private readonly settings = inject(SettingsStore);
  private readonly timings = inject(TYPING_TIMINGS);

  /** Who is writing to us, each with the timer that expires their indicator. */
  private readonly incoming = signal<
    ReadonlyMap<string, ReturnType<typeof setTimeout>>
  >(new Map());
  private outgoing: Outgoing | null = null;
  private readonly budgets = new Map<string, TypingBudget>();

  /**
   * The users writing to us right now: none while our link is down (we would not hear them stop)
   * or while typing indicators are off.
   */
  readonly typingUserIDs = computed<ReadonlySet<string>>(() =>
    this.connection.connected() && this.settings.typingIndicators()
      ? new Set(this.incoming().keys())
      : new Set(),
  );

  constructor() {
    onChatEvent(ChatEvent.Typing, (typing) => this.onTyping(typing));
    // Their message ends their typing (and the `false` that may follow it changes nothing).
    this.conversations.incoming$
      .pipe(takeUntilDestroyed())
      .subscribe(({ message }) => this.clear(message.from));
    // A new link (or identity): indicators from before it may never see their `false`, and what
    // we sent on the old one is forgotten, so the next keystroke says `true` again.
    this.connection.sessionStarted$
      .pipe(takeUntilDestroyed())
      .subscribe(() => this.reset());
    this.connection.identityEnded$
      .pipe(takeUntilDestroyed())
      .subscribe(() => this.reset());
    // Leaving the conversation we write in, or turning typing indicators off, stops our typing.
    effect(() => {
      const open = this.conversations.selectedUserID();
      const on = this.settings.typingIndicators();
      untracked(() => {
        if (this.outgoing && (!on || this.outgoing.to !== open)) this.stop();
      });
    });
    // A tab closed (or reloaded) while writing: say so now, not 15 s later by expiry.
    const window = inject(DOCUMENT).defaultView;
    const onPageHide = () => this.stop();
    window?.addEventListener('pagehide', onPageHide);
    inject(DestroyRef).onDestroy(() => {
      window?.removeEventListener('pagehide', onPageHide);
      this.reset();
    });
  }

  /**
   * The draft to `to` is now `text`: writing (`true` unless sent within `refreshMs`; the idle
   * timer starts over), or, empty, stopped. Writing to someone else first stops the previous one.
   */
  draftChanged(to: string, text: string): void {
    if (this.outgoing && this.outgoing.to !== to) this.stop();
    if (!text.trim() || !this.settings.typingIndicators()) return this.stop();
    const current = this.outgoing ?? { to, sentAt: -Infinity, shown: false };
    clearTimeout(current.idle);
    current.idle = setTimeout(() => this.stop(), this.timings.idleMs);
    this.outgoing = current;
    if (Date.now() - current.sentAt >= this.timings.refreshMs)
      this.sayTyping(current);
  }

  /** We stopped writing (the conversation was left, or the draft sent): `false`, if we said `true`. */
  stop(): void {
    const current = this.outgoing;
    if (!current) return;
    clearTimeout(current.idle);
    clearTimeout(current.paced);
    this.outgoing = null;
    if (current.shown) this.send(current.to, false);
  }

  /** `true` now, or as soon as the recipient's budget allows while we still write to them. */
  private sayTyping(current: Outgoing): void {
    if (current.paced !== undefined) return;
    const now = Date.now();
    const budget = this.budgetFor(current.to, now);
    const wait = budget.waitMs(now);
    if (wait > 0) {
      current.paced = setTimeout(() => {
        current.paced = undefined;
        if (this.outgoing === current) this.sayTyping(current);
      }, wait);
      return;
    }
    // Not sent (the link is down): the next keystroke tries again.
    if (!this.send(current.to, true)) return;
    budget.take(now);
    current.sentAt = now;
    current.shown = true;
  }

  private budgetFor(to: string, now: number): TypingBudget {
    let budget = this.budgets.get(to);
    if (!budget) {
      // Full ones are as good as new: forget them rather than keep one per user ever written to.
      for (const [userID, old] of this.budgets)
        if (old.isFull(now)) this.budgets.delete(userID);
      budget = new TypingBudget(now);
      this.budgets.set(to, budget);
    }
    return budget;
  }

  /** False if the link is down: nothing was sent. */
  private send(to: string, typing: boolean): boolean {
    if (!this.connection.connected()) return false;
    this.socket.emitVolatile(ChatEvent.Typing, { to, typing });
    return true;
  }

  private onTyping({ userID, typing }: Typing): void {
    if (!typing) return this.clear(userID);
    const timers = new Map(this.incoming());
    clearTimeout(timers.get(userID));
    timers.set(
      userID,
      setTimeout(() => this.clear(userID), this.timings.expiryMs),
    );
    this.incoming.set(timers);
  }

  private clear(userID: string): void {
    const timers = this.incoming();
    if (!timers.has(userID)) return;
    clearTimeout(timers.get(userID));
    const rest = new Map(timers);
    rest.delete(userID);
    this.incoming.set(rest);
  }

  private reset(): void {
    for (const timer of this.incoming().values()) clearTimeout(timer);
    if (this.incoming().size) this.incoming.set(new Map());
    if (this.outgoing) {
      clearTimeout(this.outgoing.idle);
      clearTimeout(this.outgoing.paced);
    }
    this.outgoing = null;
  }
}
