import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  afterRenderEffect,
  computed,
  input,
  linkedSignal,
  output,
  viewChild,
} from '@angular/core';
import { DatePipe } from '@angular/common';
import { MESSAGE_MAX_LENGTH, validatePrivateMessage } from '@chat/contracts';
import type { ChatUser, SendFailure } from '../chat/chat.models';
import { StatusIcon } from '../status-icon/status-icon';

interface DraftSource {
  userID: string;
  failure: SendFailure | null;
}

/** One conversation: header, messages oldest first, and the input to write the next one. */
@Component({
  selector: 'chat-message-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [StatusIcon, DatePipe],
  templateUrl: './message-panel.html',
  styleUrl: './message-panel.css',
  host: { 'data-testid': 'message-panel' },
})
export class MessagePanel {
  readonly user = input.required<ChatUser>();
  readonly sendFailure = input<SendFailure | null>(null);
  readonly send = output<string>();

  protected readonly maxLength = MESSAGE_MAX_LENGTH;
  private readonly list = viewChild.required<ElementRef<HTMLElement>>('list');

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
      if (fresh && !previous.value.trim()) return failure.content;
      return previous.value;
    },
  });

  /** The guide's rule: a sender label only where the sender changes. */
  protected readonly messages = computed(() =>
    this.user().messages.map((message, index, all) => ({
      message,
      showSender: index === 0 || all[index - 1].fromSelf !== message.fromSelf,
    })),
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
    // After each render that brought messages (or another conversation), show the newest one.
    afterRenderEffect({
      write: () => {
        this.messages();
        const list = this.list().nativeElement;
        list.scrollTop = list.scrollHeight;
      },
    });
  }

  protected onInput(event: Event): void {
    this.draft.set((event.target as HTMLTextAreaElement).value);
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

  private submit(): void {
    if (!this.canSend()) return;
    this.send.emit(this.draft());
    this.draft.set('');
  }
}
