import {
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { describeError } from '../shared/describe-error';
import type { ConversationStateStore } from '../conversation-state/stores/conversation-state.store';
import { MessageStore } from '../messaging/stores/message.store';
import { SessionStore } from './stores/session.store';

export interface SessionPrunerOptions {
  /** Time between runs (ms). */
  intervalMs: number;
  /** Rows per step: sessions listed at once, messages deleted at once. */
  batchSize: number;
}

/** Told of each user the pruner forgot (PresenceService, which tells the clients). */
export interface ForgottenUserListener {
  /** Never rejects. */
  announceForgotten(userID: string): Promise<void>;
}

/** Lets the event loop run everything that is waiting (I/O included) before going on. */
const nextTurn = (): Promise<void> =>
  new Promise((resolve) => setImmediate(resolve));

/**
 * Forgets expired sessions (SESSION_TTL of inactivity): each one's markers and conversations, then
 * the session itself, so that a run cut short (crash, shutdown) is finished by the next one. The stores
 * already hide expired sessions; this frees the space. Work goes in small steps with a turn of the
 * event loop between them, so chat traffic is never held up for long.
 *
 * Runs once just after start, then every `intervalMs` (an unref'd timer: it never keeps the
 * process alive); stops between two steps on shutdown. Each user forgotten is announced to
 * `listener`, so that open clients drop them from their lists.
 */
export class SessionPruner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SessionPruner.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(
    private readonly sessions: SessionStore,
    private readonly messages: MessageStore,
    private readonly conversationState: ConversationStateStore,
    private readonly options: SessionPrunerOptions,
    private readonly listener?: ForgottenUserListener,
  ) {}

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.timer = setInterval(
      () => void this.runLogged(),
      this.options.intervalMs,
    );
    this.timer.unref();
    void this.runLogged();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    // Let a run in progress reach its next step and stop, before the stores close.
    await this.running?.catch(() => undefined);
  }

  /**
   * One run: forgets every session expired now; resolves with how many. A run asked for while one
   * is in progress joins it. Rejects if a store fails (what was done stays done).
   */
  prune(): Promise<number> {
    this.running ??= this.pruneAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runLogged(): Promise<void> {
    try {
      const forgotten = await this.prune();
      if (forgotten > 0)
        this.logger.log(`forgot ${forgotten} expired session(s)`);
    } catch (error) {
      this.logger.error(`pruning sessions failed: ${describeError(error)}`);
    }
  }

  private async pruneAll(): Promise<number> {
    const { batchSize } = this.options;
    // Each session is tried once per run, even if it cannot be deleted (seen again meanwhile).
    const tried = new Set<string>();
    let forgotten = 0;
    while (!this.stopped) {
      const expired = (await this.sessions.findExpired(batchSize)).filter(
        (session) => !tried.has(session.sessionID),
      );
      if (expired.length === 0) break;
      for (const { sessionID, userID } of expired) {
        if (this.stopped) break;
        tried.add(sessionID);
        // Still expired (hidden from lookups)? Then nobody can resume it or write to it any more.
        if (await this.sessions.findSessionByUserID(userID)) continue;
        // Markers before the messages (a store may find them through the conversations) and
        // once more after (a receipt in between may have written one again).
        const deleted =
          (await this.inSteps((limit) =>
            this.conversationState.deleteUserMarkers(userID, limit),
          )) &&
          (await this.inSteps((limit) =>
            this.messages.deleteUserMessages(userID, limit),
          )) &&
          (await this.inSteps((limit) =>
            this.conversationState.deleteUserMarkers(userID, limit),
          ));
        if (!deleted) return forgotten;
        if (await this.sessions.deleteExpired(sessionID)) {
          forgotten += 1;
          await this.listener?.announceForgotten(userID);
        }
        await nextTurn();
      }
    }
    return forgotten;
  }

  /** Runs `step` with the batch size until it reports done, a turn apart; false if stopped first. */
  private async inSteps(
    step: (limit: number) => Promise<boolean>,
  ): Promise<boolean> {
    while (!(await step(this.options.batchSize))) {
      if (this.stopped) return false;
      await nextTurn();
    }
    return true;
  }
}
