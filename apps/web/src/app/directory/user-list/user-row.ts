import {
  ChangeDetectionStrategy,
  Component,
  computed,
  inject,
  input,
} from '@angular/core';
import { RouterLink } from '@angular/router';
import { conversationLink } from '../../app.routes';
import type { ChatUser } from '../../conversations/conversation.models';
import { CLOCK } from '../../core/clock';
import { statusOf } from '../../conversations/message-rows';
import { Avatar } from '../../ui/avatar/avatar';
import {
  MessageStatusIcon,
  STATUS_TEXT,
} from '../../ui/message-status/message-status';
import { presenceText } from '../../ui/presence-text';
import { TIME_FORMAT } from '../../ui/time-format';

/** Largest count a badge spells out. */
const BADGE_MAX = 99;

/**
 * One row of the list, a link to the conversation: avatar with presence, name, and either the
 * latest message and its time (a conversation; ticks before it if it is mine) or the presence in
 * words (anyone else); the count of unread messages.
 */
@Component({
  selector: 'chat-user-row',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Avatar, MessageStatusIcon, RouterLink],
  templateUrl: './user-row.html',
  styleUrl: './user-row.css',
})
export class UserRow {
  readonly user = input.required<ChatUser>();
  readonly selected = input(false);
  /** They are writing to us: "typing…" in place of the preview. */
  readonly typing = input(false);
  /** Its messages notify nobody: a crossed-out bell by the name. */
  readonly muted = input(false);

  private readonly format = inject(TIME_FORMAT);
  private readonly clock = inject(CLOCK);

  protected readonly link = computed(() =>
    conversationLink(this.user().userID),
  );
  protected readonly name = computed(() => {
    const user = this.user();
    return user.placeholder ? 'Someone new…' : user.displayName;
  });
  protected readonly last = computed(() => this.user().messages.at(-1));
  protected readonly time = computed(() => {
    const last = this.last();
    return last && this.format.listTime(Date.parse(last.at), this.clock.now());
  });
  /** The latest message (ours: "You: " for screen readers only); or, without one, the presence. */
  protected readonly secondLine = computed(() => {
    const last = this.last();
    if (!last) return presenceText(this.user(), this.format, this.clock.now());
    return last.content;
  });
  /** Where the latest message is, if it is mine: the ticks of the conversation, before it. */
  protected readonly lastStatus = computed(() => {
    const last = this.last();
    return last?.fromSelf ? statusOf(last, this.user().receipts) : undefined;
  });
  protected readonly statusForReaders = computed(() => {
    const status = this.lastStatus();
    return status ? `, ${STATUS_TEXT[status].toLowerCase()}` : '';
  });
  /** The "last seen" of a row that shows it, for screen readers too (the line itself is hidden). */
  protected readonly lastSeenForReaders = computed(() => {
    const user = this.user();
    return !this.last() && user.presence === 'offline' && user.lastSeen
      ? `, ${this.secondLine()}`
      : '';
  });
  protected readonly badge = computed(() => {
    const count = this.user().unreadCount;
    return count > BADGE_MAX ? `${BADGE_MAX}+` : String(count);
  });
}
