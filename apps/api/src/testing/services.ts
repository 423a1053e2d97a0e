import type { SocketData } from '@chat/contracts';
import { ConversationStateService } from '../conversation-state/conversation-state.service';
import { MemoryConversationStateStore } from '../conversation-state/stores/memory/memory-conversation-state.store';
import { TypingLimits } from '../conversation-state/typing-limits';
import { DirectoryService } from '../directory/directory.service';
import {
  MessagingOptions,
  MessagingService,
} from '../messaging/messaging.service';
import { MemoryMessageStore } from '../messaging/stores/memory/memory-message.store';
import { PresenceService } from '../presence/presence.service';
import { MemoryPresenceStore } from '../presence/stores/memory/memory-presence.store';
import { RateLimits } from '../rate-limiting/rate-limits';
import { MemoryRateLimiter } from '../rate-limiting/stores/memory/memory-rate-limiter';
import { SessionsService } from '../sessions/sessions.service';
import { MemorySessionStore } from '../sessions/stores/memory/memory-session.store';
import { Broadcaster, type Delivery } from '../shared/broadcaster';
import { IdGenerator } from '../shared/ids';
import { ManualClock } from './manual-clock';

/** A broadcaster that records what it is asked to send, for services tested without sockets. */
export class RecordingBroadcaster extends Broadcaster {
  readonly published: Delivery[] = [];
  readonly cleared: string[] = [];
  /** Called on each publication, before it resolves (a test may change the world meanwhile). */
  onPublish: (delivery: Delivery) => void = () => undefined;

  async publish(delivery: Delivery): Promise<void> {
    this.published.push(delivery);
    this.onPublish(delivery);
  }

  clearRoom(room: string): void {
    this.cleared.push(room);
  }
}

export type MemoryServices = ReturnType<typeof memoryServices>;

/**
 * Every service on memory stores, wired as the app wires them, with a clock the test moves:
 * RATE_LIMIT 5 at 1/s (sends, fetches, receipts; typing over all recipients), 3 new sessions per
 * address, HISTORY_LIMIT 3.
 */
export function memoryServices(clock = new ManualClock()) {
  const sessions = new MemorySessionStore({ clock });
  const messages = new MemoryMessageStore();
  const presence = new MemoryPresenceStore();
  const ids = new IdGenerator(() => clock.now());
  const limits = new RateLimits(
    new MemoryRateLimiter({ perSecond: 1, burst: 5 }),
    new MemoryRateLimiter({ perSecond: 0.001, burst: 3 }),
  );
  const broadcaster = new RecordingBroadcaster();
  const presenceService = new PresenceService(
    presence,
    sessions,
    broadcaster,
    clock,
  );
  const messaging = new MessagingService(
    sessions,
    messages,
    ids,
    limits,
    clock,
    new MessagingOptions({ historyLimit: 3 }),
  );
  const conversationStates = new MemoryConversationStateStore(messages);
  const conversationState = new ConversationStateService(
    conversationStates,
    sessions,
    limits,
    new TypingLimits({ perSecond: 1, burst: 5 }),
    clock,
  );
  return {
    clock,
    sessions,
    messages,
    presence,
    broadcaster,
    presenceService,
    messaging,
    conversationStates,
    conversationState,
    directory: new DirectoryService(
      sessions,
      presenceService,
      messaging,
      conversationState,
      limits,
    ),
    sessionsService: new SessionsService(sessions, ids, limits),
  };
}

export const alice: SocketData = {
  sessionID: 'alice-secret',
  userID: 'alice',
  username: 'Alice',
  directory: 'guide',
};

export const bob: SocketData = {
  sessionID: 'bob-secret',
  userID: 'bob',
  username: 'Bob',
  directory: 'guide',
};

/** `alice` and `bob` as known users: alice connected (one socket), bob seen now and gone. */
export async function withAliceAndBob({
  sessions,
  presence,
  clock,
}: MemoryServices): Promise<void> {
  await presence.connect('alice');
  await sessions.saveSession({
    ...alice,
    connected: true,
    lastSeen: clock.now(),
  });
  await sessions.saveSession({
    ...bob,
    connected: false,
    lastSeen: clock.now(),
  });
}
