import { Module, type DynamicModule } from '@nestjs/common';
import type { Message } from '@chat/contracts';
import { MemoryMessageStore } from '../messaging/stores/memory/memory-message.store';
import { MemoryPresenceStore } from '../presence/stores/memory/memory-presence.store';
import { MemorySessionStore } from '../sessions/stores/memory/memory-session.store';
import { MessageStore } from '../messaging/stores/message.store';
import { PresenceStore } from '../presence/stores/presence.store';
import {
  SessionStore,
  type StoredSession,
} from '../sessions/stores/session.store';

/** A promise the test resolves by hand: a store call waits on it instead of on a timer. */
export class Gate {
  private release: () => void = () => undefined;
  private opened: Promise<void> = Promise.resolve();
  /** Calls currently held at the gate. */
  waiting = 0;

  close(): void {
    this.opened = new Promise<void>((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release();
  }

  async pass(): Promise<void> {
    this.waiting += 1;
    try {
      await this.opened;
    } finally {
      this.waiting -= 1;
    }
  }
}

/** Memory sessions whose saves can be held at a gate. */
export class GatedSessionStore extends MemorySessionStore {
  readonly saves = new Gate();

  override async saveSession(session: StoredSession): Promise<void> {
    await this.saves.pass();
    return super.saveSession(session);
  }
}

/** Memory sessions whose reads or saves fail on demand. */
export class FlakySessionStore extends MemorySessionStore {
  failReads = false;
  failSaves = false;

  override async findSession(
    sessionID: string,
  ): Promise<StoredSession | undefined> {
    if (this.failReads) throw new Error('session store down');
    return super.findSession(sessionID);
  }

  override async saveSession(session: StoredSession): Promise<void> {
    if (this.failSaves) throw new Error('session store down');
    return super.saveSession(session);
  }
}

/** Memory messages whose saves fail while `failing` is set. */
export class FlakyMessageStore extends MemoryMessageStore {
  failing = false;

  override async saveMessage(message: Message): Promise<Message> {
    if (this.failing) throw new Error('disk on fire');
    return super.saveMessage(message);
  }
}

@Module({})
class TestStoresModule {}

/** A stores module with the given instances, for `createApp(env, { stores })`. */
export function testStores(
  sessions: SessionStore = new MemorySessionStore(),
  messages: MessageStore = new MemoryMessageStore(),
  presence: PresenceStore = new MemoryPresenceStore(),
): DynamicModule {
  return {
    module: TestStoresModule,
    providers: [
      { provide: SessionStore, useValue: sessions },
      { provide: MessageStore, useValue: messages },
      { provide: PresenceStore, useValue: presence },
    ],
    exports: [SessionStore, MessageStore, PresenceStore],
  };
}
