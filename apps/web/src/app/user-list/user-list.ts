import {
  ChangeDetectionStrategy,
  Component,
  input,
  output,
} from '@angular/core';
import type { ChatUser } from '../chat/chat.models';
import { StatusIcon } from '../status-icon/status-icon';

/** The left pane: everyone, self first (the store sorts), with presence and unread markers. */
@Component({
  selector: 'chat-user-list',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [StatusIcon],
  templateUrl: './user-list.html',
  styleUrl: './user-list.css',
})
export class UserList {
  readonly users = input.required<readonly ChatUser[]>();
  readonly selectedUserID = input<string | null>(null);
  readonly selectUser = output<string>();
}
