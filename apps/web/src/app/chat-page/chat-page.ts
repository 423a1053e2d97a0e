import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { ChatStore } from '../chat/chat.store';
import { MessagePanel } from '../conversations/message-panel/message-panel';
import { UserList } from '../directory/user-list/user-list';

/** The guide's two panes: users on the left, the selected conversation on the right. */
@Component({
  selector: 'chat-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [UserList, MessagePanel],
  templateUrl: './chat-page.html',
  styleUrl: './chat-page.css',
})
export class ChatPage {
  protected readonly store = inject(ChatStore);
}
