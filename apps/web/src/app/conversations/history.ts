import {
  ErrorCode,
  type FetchMessagesAck,
  type Message,
} from '@chat/contracts';
import type { ChatMessage, Conversation } from './conversation.models';

/** A conversation's messages and whether the server holds older ones. */
export interface History {
  messages: readonly ChatMessage[];
  hasMoreMessages: boolean;
}

/** The id of the newest stored (not pending) message: where a read mark moves to. */
export function newestStoredId(
  messages: readonly ChatMessage[],
): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (!messages[i].pending) return messages[i].id;
  }
  return undefined;
}

/** The id of the oldest stored message: the cursor for the page before it. */
export function oldestStoredId(
  messages: readonly ChatMessage[],
): string | undefined {
  return messages.find((message) => !message.pending)?.id;
}

/**
 * Stored messages deduplicated by id and ordered by it (ids sort in time order), pending ones
 * last. A failed one goes once its stored copy shows (it was stored after all: same
 * `clientMessageId`). Returns `current` itself when nothing is new, so unchanged conversations
 * stay unchanged.
 */
export function mergeMessages(
  current: readonly ChatMessage[],
  incoming: readonly ChatMessage[],
): readonly ChatMessage[] {
  const stored = new Map<string, ChatMessage>();
  let pending: ChatMessage[] = [];
  for (const message of current) {
    if (message.pending) pending.push(message);
    else stored.set(message.id, message);
  }
  let added = false;
  const storedSends = new Set<string>();
  for (const message of incoming) {
    if (message.clientMessageId) storedSends.add(message.clientMessageId);
    if (stored.has(message.id)) continue;
    stored.set(message.id, message);
    added = true;
  }
  const failedStored = (m: ChatMessage) =>
    m.failed === true && storedSends.has(m.clientMessageId ?? '');
  if (pending.some(failedStored)) {
    pending = pending.filter((m) => !failedStored(m));
    added = true;
  }
  if (!added) return current;
  const ordered = [...stored.values()].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  return [...ordered, ...pending];
}

/**
 * A conversation as replayed by `users` (its latest messages, `hasMore` when older ones exist)
 * merged into what we hold: older pages already loaded stay, merged by id, and `hasMoreMessages`
 * speaks of whichever of the two reaches further back.
 *
 * One exception: a replay that begins after the newest message we hold and has more before it
 * may leave a hole between the two (many messages while we were away). Then the replay starts
 * the history afresh (pending sends stay) and older pages are fetched again, hole-free.
 */
export function mergeReplay(
  previous: History | undefined,
  replay: readonly ChatMessage[],
  replayHasMore: boolean,
): History {
  if (!previous) {
    return {
      messages: mergeMessages([], replay),
      hasMoreMessages: replayHasMore,
    };
  }
  let replayOldest: string | undefined;
  for (const message of replay) {
    if (replayOldest === undefined || message.id < replayOldest)
      replayOldest = message.id;
  }
  const heldOldest = oldestStoredId(previous.messages);
  const heldNewest = newestStoredId(previous.messages);
  if (
    replayHasMore &&
    replayOldest !== undefined &&
    heldNewest !== undefined &&
    replayOldest > heldNewest
  ) {
    return {
      messages: mergeMessages(
        previous.messages.filter((message) => message.pending),
        replay,
      ),
      hasMoreMessages: true,
    };
  }
  const messages = mergeMessages(previous.messages, replay);
  const heldReachesFurther =
    heldOldest !== undefined &&
    (replayOldest === undefined || heldOldest < replayOldest);
  return {
    messages,
    hasMoreMessages: heldReachesFurther
      ? previous.hasMoreMessages
      : replayHasMore,
  };
}

/** A stored message as a conversation shows it: ours (`fromSelf`) when `selfID` sent it. */
export function toChatMessage(
  message: Message,
  selfID: string | undefined,
): ChatMessage {
  return {
    id: message.id,
    content: message.content,
    from: message.from,
    to: message.to,
    at: message.at,
    fromSelf: message.from === selfID,
    pending: false,
    // Ours: recognises a send given up on that was stored after all.
    ...(message.clientMessageId !== undefined && {
      clientMessageId: message.clientMessageId,
    }),
  };
}

const OLDER_ERROR_TEXT = 'Earlier messages could not be loaded.';
const OLDER_RATE_LIMITED_TEXT =
  'Too many requests for earlier messages: wait a moment and try again.';

/**
 * The conversation once a page of older messages came (or did not). The page is taken only if
 * it still joins what is held: `before` must still be the oldest message (a replay since may
 * have restarted the history).
 */
export function withOlderPage(
  conversation: Conversation,
  request: { userID: string; selfID: string | undefined; before: string },
  ack: FetchMessagesAck,
): Conversation {
  const { userID, selfID, before } = request;
  const settled: Conversation = { ...conversation, loadingOlder: false };
  if (!ack.ok) {
    settled.olderError =
      ack.error === ErrorCode.RateLimited
        ? OLDER_RATE_LIMITED_TEXT
        : OLDER_ERROR_TEXT;
    return settled;
  }
  if (oldestStoredId(conversation.messages) !== before) return settled;
  const page = ack.messages
    .filter(
      (m) =>
        m.id < before &&
        ((m.from === userID && m.to === selfID) ||
          (m.from === selfID && m.to === userID)),
    )
    .map((m) => toChatMessage(m, selfID));
  return {
    ...settled,
    messages: mergeMessages(conversation.messages, page),
    // An empty page ends the history whatever it claims, so scrolling cannot loop.
    hasMoreMessages: page.length > 0 && ack.hasMore,
  };
}
