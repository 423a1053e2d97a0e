import type { TheirMarkers } from '../receipts/receipts.store';
import type { MessageStatus } from '../ui/message-status/message-status';
import type { TimeFormat } from '../ui/time-format';
import type { ChatMessage } from './conversation.models';

/** Messages of one sender closer than this to the one before stay in one group. */
export const GROUP_GAP_MS = 5 * 60_000;

/** One message as the conversation shows it. */
export interface MessageRow {
  message: ChatMessage;
  /** The first message of its day: the day separator above it (`date` is `YYYY-MM-DD`). */
  day?: { label: string; date: string };
  /** The first of a group: one sender, one day, no pause longer than GROUP_GAP_MS. */
  groupStart: boolean;
  /** The last of its group: the group's time is shown under it (stored messages only). */
  groupEnd: boolean;
  /** On a group's last stored message: its time, the ISO date-time and the full date. */
  time?: { label: string; iso: string; full: string };
  /** Of my messages only. */
  status?: MessageStatus;
  /** Under the last of my messages they read: `Seen`, and when where this tab saw it. */
  seen?: { label: string; iso?: string };
}

/**
 * The rows of a conversation (oldest first): day separators in the user's time zone, groups of
 * consecutive messages of one sender, the time under each group, and where each of mine is by
 * their markers (`receipts`).
 */
export function messageRows(
  messages: readonly ChatMessage[],
  format: TimeFormat,
  now: number,
  receipts: TheirMarkers = {},
): MessageRow[] {
  const lastRead = lastReadOfMine(messages, receipts.read);
  const times = messages.map((message) => Date.parse(message.at));
  const days = times.map((time) => format.day(time));
  const continues = (i: number) =>
    i > 0 &&
    days[i] === days[i - 1] &&
    messages[i].fromSelf === messages[i - 1].fromSelf &&
    times[i] - times[i - 1] <= GROUP_GAP_MS;
  return messages.map((message, i) => {
    const groupEnd = i === messages.length - 1 || !continues(i + 1);
    const row: MessageRow = { message, groupStart: !continues(i), groupEnd };
    if (i === 0 || days[i] !== days[i - 1])
      row.day = { label: format.dayLabel(times[i], now), date: days[i] };
    if (groupEnd && !message.pending)
      row.time = {
        label: format.time(times[i]),
        iso: message.at,
        full: format.fullDate(times[i]),
      };
    if (message.fromSelf) row.status = statusOf(message, receipts);
    if (i === lastRead) row.seen = seenLine(receipts.readAt, format, now);
    return row;
  });
}

/** Where a message of mine is, by their markers. */
export function statusOf(
  message: ChatMessage,
  receipts: TheirMarkers,
): MessageStatus {
  if (message.failed) return 'failed';
  if (message.pending) return 'sending';
  if (receipts.read !== undefined && message.id <= receipts.read) return 'read';
  if (receipts.delivered !== undefined && message.id <= receipts.delivered)
    return 'delivered';
  return 'sent';
}

/** The index of my newest stored message up to their read marker, or -1. */
function lastReadOfMine(
  messages: readonly ChatMessage[],
  read: string | undefined,
): number {
  if (read === undefined) return -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message.fromSelf && !message.pending && message.id <= read) return i;
  }
  return -1;
}

function seenLine(
  readAt: string | undefined,
  format: TimeFormat,
  now: number,
): { label: string; iso?: string } {
  if (readAt === undefined) return { label: 'Seen' };
  const time = Date.parse(readAt);
  return { label: `Seen ${format.listTime(time, now)}`, iso: readAt };
}
