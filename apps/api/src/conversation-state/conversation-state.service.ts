import { Injectable, Logger } from '@nestjs/common';
import {
  ChatEvent,
  DEFAULT_SETTINGS,
  ErrorCode,
  validateReceipt,
  validateTyping,
  type ReceiptAck,
  type Receipt,
  type UserView,
} from '@chat/contracts';
import { RateLimits } from '../rate-limiting/rate-limits';
import { SessionStore } from '../sessions/stores/session.store';
import type { Delivery } from '../shared/broadcaster';
import { Clock } from '../shared/clock';
import { describeError } from '../shared/describe-error';
import { isoTime } from '../shared/iso-time';
import { ConversationStateStore } from './stores/conversation-state.store';
import { TypingLimits } from './typing-limits';

/** The answer to a `receipt`, and what to send to whom once it is given. */
export interface ReceiptHandled {
  ack: ReceiptAck;
  deliveries: readonly Delivery[];
}

/** What a `users` entry (or a `fetch users` one) says of the conversation with that user. */
export type ConversationFields = Pick<
  UserView,
  'readUpTo' | 'unread' | 'theirDeliveredUpTo' | 'theirReadUpTo'
>;

const NONE: readonly Delivery[] = [];

const refused = (error: ErrorCode): ReceiptHandled => ({
  ack: { ok: false, error },
  deliveries: NONE,
});

/**
 * Receipts, read markers, unread counts and typing (PROTOCOL, "Conversation state"). Markers live
 * in the ConversationStateStore; the users' settings, with their sessions, decide who is told what.
 */
@Injectable()
export class ConversationStateService {
  private readonly logger = new Logger('ConversationState');

  constructor(
    private readonly state: ConversationStateStore,
    private readonly sessions: SessionStore,
    private readonly limits: RateLimits,
    private readonly typingLimits: TypingLimits,
    private readonly clock: Clock,
  ) {}

  /**
   * A `receipt` of `userID` (the reader) about the messages `payload.userID` sent them. Applied
   * only if every id it names is such a message (else `invalid payload`, nothing applied and
   * nobody told); an id behind the stored markers is fine and changes nothing. What moved is told:
   * `receipt` to every tab of the sender (`read` only if both have read receipts on), `read marker`
   * to every tab of the reader, the sending one too. Never rejects.
   */
  async receipt(userID: string, payload: unknown): Promise<ReceiptHandled> {
    const limited = await this.limits.receipt(userID);
    if (limited) return refused(limited);
    const input = validateReceipt(payload);
    if (!input.ok) return refused(input.error);
    const { userID: peer, delivered, read } = input.value;
    // Your own messages: nothing to tell anyone, nothing to count.
    if (peer === userID) return { ack: { ok: true }, deliveries: NONE };
    try {
      const settings = await this.sessions.findSettings([userID, peer]);
      const readerShares = (settings.get(userID) ?? DEFAULT_SETTINGS)
        .readReceipts;
      const result = await this.state.updateMarkers({
        reader: userID,
        peer,
        delivered,
        read,
        publicRead: readerShares,
      });
      if (!result.ok) return refused(ErrorCode.InvalidPayload);
      const { moved, unread } = result;
      const deliveries: Delivery[] = [];
      const receipt: Receipt = { userID, at: isoTime(this.clock.now()) };
      if (moved.delivered !== undefined) receipt.delivered = moved.delivered;
      // A sender who keeps their own reads to themselves sees nobody's (as in WhatsApp).
      if (
        moved.publicRead !== undefined &&
        readerShares &&
        settings.get(peer)?.readReceipts
      )
        receipt.read = moved.publicRead;
      if (receipt.delivered !== undefined || receipt.read !== undefined)
        deliveries.push({
          rooms: [peer],
          event: ChatEvent.Receipt,
          payload: receipt,
        });
      if (moved.read !== undefined)
        deliveries.push({
          rooms: [userID],
          includeSender: true,
          event: ChatEvent.ReadMarker,
          payload: { userID: peer, read: moved.read, unread },
        });
      return { ack: { ok: true }, deliveries };
    } catch (error) {
      this.logger.error(
        `a receipt of ${userID} failed: ${describeError(error)}`,
      );
      return refused(ErrorCode.Unavailable);
    }
  }

  /**
   * A `typing` of `userID`: forwarded to every tab of `payload.to`, never stored. Dropped without a
   * word when malformed, to oneself or to an unknown user, beyond the typing budgets (a `false`
   * after a forwarded `true` always goes), when the sender has typing off (but for that `false`)
   * or the recipient does. Never rejects.
   */
  async typing(userID: string, payload: unknown): Promise<readonly Delivery[]> {
    const input = validateTyping(payload);
    if (!input.ok) return NONE;
    const { to, typing } = input.value;
    if (to === userID || !this.typingLimits.allows(userID, to, typing))
      return NONE;
    try {
      if (!(await this.sessions.hasUser(to))) return NONE;
      const settings = await this.sessions.findSettings([userID, to]);
      if (settings.get(to)?.typing === false) return NONE;
      if (typing && settings.get(userID)?.typing === false) return NONE;
      return [
        { rooms: [to], event: ChatEvent.Typing, payload: { userID, typing } },
      ];
    } catch (error) {
      this.logger.warn(
        `a typing notice of ${userID} was dropped: ${describeError(error)}`,
      );
      return NONE;
    }
  }

  /**
   * The conversation fields of the `users` entries of `peerIDs` as `userID` sees them: only for
   * peers they have a conversation with (never themself); `theirReadUpTo` only where both have
   * read receipts on. Rejects if a store fails.
   */
  async fieldsFor(
    userID: string,
    peerIDs: readonly string[],
  ): Promise<Map<string, ConversationFields>> {
    const fields = new Map<string, ConversationFields>();
    const others = peerIDs.filter((peerID) => peerID !== userID);
    if (others.length === 0) return fields;
    const states = await this.state.findStates(userID, others);
    if (states.length === 0) return fields;
    const settings = await this.sessions.findSettings([
      userID,
      ...states.map((state) => state.peerID),
    ]);
    const iShare = (settings.get(userID) ?? DEFAULT_SETTINGS).readReceipts;
    for (const state of states) {
      const theyShare = settings.get(state.peerID)?.readReceipts ?? false;
      fields.set(state.peerID, {
        ...(state.read !== undefined && { readUpTo: state.read }),
        unread: state.unread,
        ...(state.theirDelivered !== undefined && {
          theirDeliveredUpTo: state.theirDelivered,
        }),
        ...(iShare &&
          theyShare &&
          state.theirPublicRead !== undefined && {
            theirReadUpTo: state.theirPublicRead,
          }),
      });
    }
    return fields;
  }
}
