import { Injectable } from '@nestjs/common';
import type { Message } from '@chat/contracts';
import { MessageStore } from '../message.store';

@Injectable()
export class MemoryMessageStore extends MessageStore {
  // Indexed by participant so a user's history is read without scanning everyone's.
  private readonly byUser = new Map<string, Message[]>();

  async saveMessage(message: Message): Promise<void> {
    const stored = { ...message };
    this.append(message.from, stored);
    if (message.to !== message.from) this.append(message.to, stored);
  }

  async findMessagesForUser(userID: string): Promise<Message[]> {
    return (this.byUser.get(userID) ?? []).map((message) => ({ ...message }));
  }

  private append(userID: string, message: Message): void {
    const list = this.byUser.get(userID);
    if (!list) {
      this.byUser.set(userID, [message]);
      return;
    }
    // Ids are sortable; keep the list ordered even if saves complete out of order.
    let index = list.length;
    while (index > 0 && list[index - 1].id > message.id) index--;
    list.splice(index, 0, message);
  }
}
