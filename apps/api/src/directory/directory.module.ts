import { Module } from '@nestjs/common';
import { ConversationStateModule } from '../conversation-state/conversation-state.module';
import { MessagingModule } from '../messaging/messaging.module';
import { PresenceModule } from '../presence/presence.module';
import { DirectoryService } from './directory.service';

/** The users a client sees: the guide's list, or the paged directory and its name searches. */
@Module({
  imports: [MessagingModule, PresenceModule, ConversationStateModule],
  providers: [DirectoryService],
  exports: [DirectoryService],
})
export class DirectoryModule {}
