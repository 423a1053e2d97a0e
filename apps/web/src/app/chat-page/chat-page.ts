import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { ConnectionStore } from '../core/connection.store';
import { ConversationsStore } from '../conversations/conversations.store';
import { MessagePanel } from '../conversations/message-panel/message-panel';
import { DirectoryStore } from '../directory/directory.store';
import { UserList } from '../directory/user-list/user-list';
import { OutboxStore } from '../outbox/outbox.store';

/**
 * The guide's two panes: users on the left, the selected conversation on the right. It composes
 * the stores of the capabilities it shows; the components below only take inputs.
 */
@Component({
  selector: 'chat-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [UserList, MessagePanel],
  templateUrl: './chat-page.html',
  styleUrl: './chat-page.css',
})
export class ChatPage {
  protected readonly connection = inject(ConnectionStore);
  protected readonly directory = inject(DirectoryStore);
  protected readonly conversations = inject(ConversationsStore);
  protected readonly outbox = inject(OutboxStore);
}
