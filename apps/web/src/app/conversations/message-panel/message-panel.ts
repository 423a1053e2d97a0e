import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  afterNextRender,
  afterRenderEffect,
  computed,
  inject,
  input,
  linkedSignal,
  output,
  viewChild,
} from '@angular/core';
import { RouterLink } from '@angular/router';
import { MESSAGE_MAX_LENGTH, validatePrivateMessage } from '@chat/contracts';
import { CLOCK } from '../../core/clock';
import type { SendFailure } from '../../outbox/outbox.models';
import { Avatar } from '../../ui/avatar/avatar';
import { presenceText } from '../../ui/presence-text';
import { TIME_FORMAT } from '../../ui/time-format';
import type { ChatMessage, ChatUser } from '../conversation.models';
import { MessageText } from '../message-text/message-text';
import { messageRows } from '../message-rows';
import { MessageStatusIcon } from '../../ui/message-status/message-status';
import {
  type ListShape,
  type ScrollAnchor,
  anchoredScrollTop,
  captureAnchor,
  fitsWithoutScrolling,
  isNearBottom,
  reachedTop,
  scrollAction,
} from '../../ui/scroll-position';

interface DraftSource {
  userID: string;
  failure: SendFailure | null;
}

/**
 * One conversation: header (on a phone, with the way back to the list), messages oldest first
 * under day separators, in groups of one sender with the time under each (older pages on demand:
 * scrolling up to the top or the "Load earlier messages" button), and the input to write the
 * next one, focused whenever a conversation opens.
 */
@Component({
  selector: 'chat-message-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Avatar, MessageStatusIcon, MessageText, RouterLink],
  templateUrl: './message-panel.html',
  styleUrl: './message-panel.css',
  host: { 'data-testid': 'message-panel' },
})
export class MessagePanel {
  readonly user = input.required<ChatUser>();
  readonly sendFailure = input<SendFailure | null>(null);
  /** Unread messages in the other conversations: shown on the way back to the list. */
  readonly unreadElsewhere = input(0);
  /** They are writing to us: "typing…" takes the place of their presence. */
  readonly typing = input(false);
  /** Its messages notify nobody (NotificationsStore). */
  readonly muted = input(false);
  readonly send = output<string>();
  /** The text being written changed (empty once sent): what typing notices follow. */
  readonly draftChange = output<string>();
  /** The user muted (true) or unmuted the conversation's notifications. */
  readonly mutedChange = output<boolean>();
  /** The user wants the page before the oldest message shown. */
  readonly loadOlder = output<void>();
  /** A message of mine that was given up on, to send again. */
  readonly retry = output<ChatMessage>();

  protected readonly maxLength = MESSAGE_MAX_LENGTH;
  private readonly scroller =
    viewChild.required<ElementRef<HTMLElement>>('scroller');
  private readonly list = viewChild.required<ElementRef<HTMLElement>>('list');
  private readonly input =
    viewChild.required<ElementRef<HTMLTextAreaElement>>('input');
  private readonly format = inject(TIME_FORMAT);
  private readonly clock = inject(CLOCK);
  private readonly userID = computed(() => this.user().userID);
  /** The conversation the field was last focused for. */
  private focusedFor: string | null = null;

  /** What the list showed after the last render, and where the user was in it since. */
  private shape: ListShape | null = null;
  private anchor: ScrollAnchor<HTMLElement> | null = null;
  private nearBottom = true;
  private lastScrollTop = 0;

  /**
   * The text being written: emptied when the conversation changes, and given back when a send
   * fails while the field is still empty, so a refused message is not lost.
   */
  protected readonly draft = linkedSignal<DraftSource, string>({
    source: () => ({ userID: this.user().userID, failure: this.sendFailure() }),
    computation: (source, previous) => {
      if (!previous || previous.source.userID !== source.userID) return '';
      const { failure } = source;
      const fresh = failure !== null && failure !== previous.source.failure;
      if (fresh && !failure.kept && !previous.value.trim())
        return failure.content;
      return previous.value;
    },
  });

  protected readonly rows = computed(() =>
    messageRows(
      this.user().messages,
      this.format,
      this.clock.now(),
      this.user().receipts,
    ),
  );
  protected readonly presence = computed(() =>
    presenceText(this.user(), this.format, this.clock.now()),
  );

  protected readonly tooLong = computed(
    () => this.draft().length > MESSAGE_MAX_LENGTH,
  );
  protected readonly canSend = computed(
    () =>
      validatePrivateMessage({ content: this.draft(), to: this.user().userID })
        .ok,
  );

  constructor() {
    // A conversation opens: writing is what comes next.
    afterRenderEffect({
      write: () => {
        const userID = this.userID();
        if (userID === this.focusedFor) return;
        this.focusedFor = userID;
        this.input().nativeElement.focus({ preventScroll: true });
      },
    });
    // After each render of the conversation: the newest message when it is new (or the user
    // follows the end), else the message the user was looking at stays where it was.
    afterRenderEffect({
      write: () => {
        const user = this.user();
        const messages = user.messages;
        const last = messages.at(-1);
        const shape: ListShape = {
          conversation: user.userID,
          firstId: messages[0]?.id,
          lastId: last?.id,
          lastFromSelf: last?.fromSelf ?? false,
        };
        const scroller = this.scroller().nativeElement;
        if (scrollAction(this.shape, shape, this.nearBottom) === 'bottom') {
          scroller.scrollTop = scroller.scrollHeight;
        } else if (this.anchor?.key.isConnected) {
          const top = anchoredScrollTop(this.anchor, this.anchor.key.offsetTop);
          if (Math.abs(top - scroller.scrollTop) >= 1) scroller.scrollTop = top;
        }
        this.shape = shape;
        this.observe();
        // Nothing to scroll yet older messages exist: no scroll could ever ask, so ask now.
        if (
          user.hasMoreMessages &&
          !user.loadingOlder &&
          !user.olderError &&
          fitsWithoutScrolling(scroller)
        )
          this.loadOlder.emit();
      },
    });
    // Scrolling is observed outside change detection: only reaching the top does anything.
    const destroyRef = inject(DestroyRef);
    afterNextRender(() => {
      const scroller = this.scroller().nativeElement;
      const onScroll = () => this.onScroll();
      scroller.addEventListener('scroll', onScroll, { passive: true });
      destroyRef.onDestroy(() =>
        scroller.removeEventListener('scroll', onScroll),
      );
    });
  }

  protected onLoadOlderClick(): void {
    // The button gives way to the loading row: keep keyboard focus on the conversation.
    this.scroller().nativeElement.focus({ preventScroll: true });
    this.loadOlder.emit();
  }

  protected onInput(event: Event): void {
    this.draft.set((event.target as HTMLTextAreaElement).value);
    this.draftChange.emit(this.draft());
  }

  /** Enter sends; Shift+Enter (and Enter while composing text in an IME) is a new line. */
  protected onKeydown(event: KeyboardEvent): void {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    this.submit();
  }

  protected onSubmit(event: Event): void {
    event.preventDefault();
    this.submit();
  }

  private onScroll(): void {
    const previousTop = this.lastScrollTop;
    this.observe();
    const user = this.user();
    // Upwards only: our own adjustments move down, so a failing fetch is not retried in a loop.
    if (
      user.hasMoreMessages &&
      !user.loadingOlder &&
      reachedTop(previousTop, this.lastScrollTop)
    )
      this.loadOlder.emit();
  }

  /** Remembers where the user is: the message at the top of the view, and whether at the end. */
  private observe(): void {
    const scroller = this.scroller().nativeElement;
    const items = this.list().nativeElement.children;
    this.lastScrollTop = scroller.scrollTop;
    this.nearBottom = isNearBottom(scroller);
    this.anchor = captureAnchor(scroller.scrollTop, items.length, (i) => {
      const item = items[i] as HTMLElement;
      return { key: item, top: item.offsetTop, height: item.offsetHeight };
    });
  }

  private submit(): void {
    if (!this.canSend()) return;
    this.send.emit(this.draft());
    this.draft.set('');
    this.draftChange.emit('');
  }
}
