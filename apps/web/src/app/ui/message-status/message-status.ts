import { ChangeDetectionStrategy, Component, input } from '@angular/core';

/**
 * Where a message of mine is: on its way (a clock), given up on (Retry), stored (✓), held by a
 * client of theirs (✓✓), read (✓✓ in colour).
 */
export type MessageStatus =
  | 'sending'
  | 'failed'
  | 'sent'
  | 'delivered'
  | 'read';

/** What each state is called (screen readers, tooltips). */
export const STATUS_TEXT: Record<MessageStatus, string> = {
  sending: 'Sending',
  failed: 'Not sent',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
};

/** The icon of a message's status, as the conversation and the list of chats show it. */
@Component({
  selector: 'chat-message-status',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './message-status.html',
  styleUrl: './message-status.css',
  host: {
    '[attr.data-status]': 'status()',
    '[title]': 'text[status()]',
  },
})
export class MessageStatusIcon {
  readonly status = input.required<MessageStatus>();
  protected readonly text = STATUS_TEXT;
}
