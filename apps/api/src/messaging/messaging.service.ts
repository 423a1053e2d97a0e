import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import {
  ChatEvent,
  ErrorCode,
  FETCH_MESSAGES_MAX,
  validateFetchMessages,
  validatePrivateMessage,
  type FetchMessagesAck,
  type Message,
  type PrivateMessageAck,
} from '@chat/contracts';
import { DEFAULT_HISTORY_LIMIT } from '../config/app-config';
import { Metrics } from '../metrics/metrics';
import { RateLimits } from '../rate-limiting/rate-limits';
import { SessionStore } from '../sessions/stores/session.store';
import type { Delivery } from '../shared/broadcaster';
import { Clock } from '../shared/clock';
import { describeError } from '../shared/describe-error';
import { IdGenerator } from '../shared/ids';
import { isoTime } from '../shared/iso-time';
import { MessageStore, type RecentConversation } from './stores/message.store';

/** Messaging's settings from config. */
export class MessagingOptions {
  /** Messages per conversation in `users`; the default page of `fetch messages` (up to its max). */
  historyLimit = DEFAULT_HISTORY_LIMIT;

  constructor(options: Partial<MessagingOptions> = {}) {
    Object.assign(this, options);
  }
}

/** The answer to a `private message`, and what to send to whom once it is given. */
export interface Sent {
  ack: PrivateMessageAck;
  deliveries: readonly Delivery[];
}

const NO_DELIVERIES: readonly Delivery[] = [];

const refused = (error: ErrorCode): Sent => ({
  ack: { ok: false, error },
  deliveries: NO_DELIVERIES,
});

/** Private messages: send (store first, then deliver), and history. */
@Injectable()
export class MessagingService implements OnModuleInit {
  private readonly logger = new Logger('Messaging');

  constructor(
    private readonly sessions: SessionStore,
    private readonly messages: MessageStore,
    private readonly ids: IdGenerator,
    private readonly limits: RateLimits,
    private readonly clock: Clock,
    private readonly options: MessagingOptions,
    private readonly metrics: Metrics = new Metrics(),
  ) {}

  /** Message ids continue after the newest stored one, whatever the clock says after a restart. */
  async onModuleInit(): Promise<void> {
    this.ids.seedMessageID(await this.messages.findLatestMessageID());
  }

  /**
   * Validates and stores one message from `from`; once stored, it is to be delivered to every
   * socket of the recipient and the sender's other sockets (one set of rooms: a message to self
   * reaches each other tab once; the sending socket never). Never rejects: every failure is an
   * error code, with nothing to deliver.
   * A repeat (the sender already stored a message with this `clientMessageId`) is acknowledged with
   * the message stored first, whatever its own content and recipient, and delivered to nobody again.
   * A message sent with a `clientMessageId` carries it wherever it goes (ack, event, history).
   */
  async send(from: string, payload: unknown): Promise<Sent> {
    // Counted before validation, so floods of garbage are bounded too.
    const limited = await this.limits.message(from);
    if (limited) return refused(limited);
    const input = validatePrivateMessage(payload);
    if (!input.ok) return refused(input.error);
    const { content, to, clientMessageId } = input.value;

    let message: Message;
    try {
      if (!(await this.sessions.hasUser(to))) {
        return refused(ErrorCode.UnknownRecipient);
      }
      message = {
        id: this.ids.messageID(),
        content,
        from,
        to,
        at: isoTime(this.clock.now()),
      };
      // Only when given: a message sent without one has no such key at all (the guide's payload).
      if (clientMessageId !== undefined)
        message.clientMessageId = clientMessageId;
      const stored = await this.metrics.timeMessageSave(
        message,
        this.messages.saveMessage(message),
      );
      // A repeat: its first send was delivered already (or is being, if it is still in flight).
      if (stored.id !== message.id)
        return {
          ack: { ok: true, message: stored },
          deliveries: NO_DELIVERIES,
        };
    } catch (error) {
      this.logger.error(
        `storing a message from ${from} failed: ${describeError(error)}`,
      );
      return refused(ErrorCode.Unavailable);
    }
    return {
      ack: { ok: true, message },
      deliveries: [
        {
          rooms: [to, from],
          event: ChatEvent.PrivateMessage,
          payload: message,
        },
      ],
    };
  }

  /**
   * A page of older messages of one of the caller's conversations: the one between `userID` (the
   * socket's own, never from the payload) and `payload.userID`, strictly before `payload.before`.
   * Any other pair's messages are out of reach by construction; an unknown peer is an empty page.
   * Never rejects.
   */
  async fetchMessages(
    userID: string,
    payload: unknown,
  ): Promise<FetchMessagesAck> {
    const limited = await this.limits.fetch(userID);
    if (limited) return { ok: false, error: limited };
    const input = validateFetchMessages(payload);
    if (!input.ok) return { ok: false, error: input.error };
    const { userID: peerID, before, limit } = input.value;
    try {
      const page = await this.messages.findMessagesBefore(
        userID,
        peerID,
        before,
        limit ?? Math.min(this.options.historyLimit, FETCH_MESSAGES_MAX),
      );
      return { ok: true, ...page };
    } catch (error) {
      this.logger.error(
        `fetching messages for ${userID} failed: ${describeError(error)}`,
      );
      return { ok: false, error: ErrorCode.Unavailable };
    }
  }

  /**
   * Each of `userID`'s conversations with its last `historyLimit` messages, oldest first: what
   * `users` replays. Rejects if the store fails.
   */
  recentConversations(userID: string): Promise<RecentConversation[]> {
    return this.messages.findRecentConversations(
      userID,
      this.options.historyLimit,
    );
  }
}
