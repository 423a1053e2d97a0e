import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { ChatEvent, type Message, type SessionInfo } from '@chat/contracts';
import { processCpuSeconds, processMemoryMiB } from './servers';

/**
 * Load generator: `pairs` sender/receiver pairs over websocket, each sender sending `messages`
 * private messages of `payloadBytes` characters to its receiver. Every message's content starts
 * with its sequence number and send time, so each receiver checks that every message arrives
 * exactly once and in order, and measures its latency. Closed loop by default (at most `window`
 * messages of a pair in flight); with `rate`, also paced (messages per second over all pairs).
 * Every wait is bounded by `timeoutMs`.
 */
export interface LoadOptions {
  pairs: number;
  messages: number;
  payloadBytes: number;
  /** Messages per second over all pairs; unset or 0: as fast as `window` allows. */
  rate?: number;
  /** Messages of one pair sent but not yet received, at most. */
  window: number;
  /** The whole run (connecting, sending, draining) ends after this long, whatever happened. */
  timeoutMs: number;
  /** Ends the run early when messages are outstanding but none arrived for this long. Default 10 s. */
  stallMs?: number;
  /**
   * Send with an acknowledgement callback and count the product's `{ ok: false, error }` answers
   * (the guide's server ignores it). Off by default: it adds work the reference does not do.
   */
  acks?: boolean;
  /**
   * Every receiver sends `receipt` { userID: its sender, delivered, read } for the newest message
   * it holds, as the web app does with the conversation open: at most one per conversation per
   * `RECEIPT_INTERVAL_MS`, with an acknowledgement (counted in `receipts`). The guide's server
   * ignores the event.
   */
  receipts?: boolean;
}

/** The web app's pace: at most one receipt per conversation this often. */
export const RECEIPT_INTERVAL_MS = 250;

export const DEFAULT_LOAD: LoadOptions = {
  pairs: 50,
  messages: 2000,
  payloadBytes: 64,
  window: 32,
  timeoutMs: 120_000,
  stallMs: 10_000,
};

export interface LoadResult {
  pairs: number;
  messagesPerPair: number;
  payloadBytes: number;
  rate: number | null;
  window: number;
  /** Messages the senders emitted / should have emitted. */
  sent: number;
  expected: number;
  /** Distinct messages received by the right receiver. */
  delivered: number;
  /** Sent but never received (within the run). */
  lost: number;
  /** Never sent: the run ended (timeout or stall) first. */
  unsent: number;
  duplicated: number;
  /** Received after a message with a higher sequence number. */
  reordered: number;
  /** Received with a wrong `from`, an unreadable content or an out-of-range sequence number. */
  invalid: number;
  /** Why the run ended before every message arrived, if it did. */
  ended: 'complete' | 'timeout' | 'stalled';
  timedOut: boolean;
  /** With `acks`: answers per outcome (`ok`, or the error code). */
  acks: Record<string, number> | null;
  /**
   * With `receipts`: how many the receivers sent, and their acknowledgements per outcome (`ok`,
   * the error code, or `none` for those unanswered at the end: the reference never answers).
   */
  receipts: { sent: number; answers: Record<string, number> } | null;
  /** From the first send to the last receipt. */
  durationSeconds: number;
  messagesPerSecond: number;
  latencyMs: {
    p50: number;
    p90: number;
    p99: number;
    /**
     * p99 of the messages sent at least `STEADY_AFTER_MS` after the first send: without the
     * first second after a cold step to the full rate (NaN if the run is shorter).
     */
    p99AfterFirstSecond: number;
    max: number;
    mean: number;
  };
  clientCpuSeconds: number;
  serverCpuSeconds: number;
  /** Server CPU per delivered message, microseconds (all server processes together). */
  serverCpuMicrosPerMessage: number;
  /** Sum over the server processes, after the run. */
  serverRssMiB: number;
  serverPeakRssMiB: number;
}

interface Receiver {
  socket: Socket;
  userID: string;
  senderID: string;
  seen: Uint8Array;
  unique: number;
  maxSeq: number;
  /** Called on every receipt: wakes the sender waiting for room in its window. */
  wake?: () => void;
  /** With `receipts`: the newest message's id not yet acknowledged by a receipt, and its pacing. */
  unreceipted?: string;
  lastReceiptAt: number;
  receiptTimer?: NodeJS.Timeout;
}

const CONNECT_TIMEOUT_MS = 15_000;
/**
 * A fresh server stepped from idle to the full rate takes about a second to settle (queues filled
 * at the step, heaps still growing): `p99AfterFirstSecond` leaves that out, beside the whole run's.
 */
const STEADY_AFTER_MS = 1000;
const CONNECT_CONCURRENCY = 20;

export async function runLoad(
  urls: string[],
  pids: number[],
  options: LoadOptions,
): Promise<LoadResult> {
  const { pairs, messages, payloadBytes, window } = options;
  const rate = options.rate && options.rate > 0 ? options.rate : undefined;
  const stallMs = options.stallMs ?? DEFAULT_LOAD.stallMs ?? 10_000;
  const sockets: Socket[] = [];
  let stopTimer: NodeJS.Timeout | undefined;
  let stallTimer: NodeJS.Timeout | undefined;
  let ended: 'complete' | 'timeout' | 'stalled' = 'complete';
  let endRun!: (why: 'timeout' | 'stalled') => void;
  const timedOut = new Promise<void>((resolve) => {
    endRun = (why) => {
      if (!isTimedOut) ended = why;
      isTimedOut = true;
      resolve();
    };
    stopTimer = setTimeout(() => endRun('timeout'), options.timeoutMs);
  });
  let isTimedOut = false;

  try {
    // Pair i: sender on node i, receiver on node i + 1 (with two nodes, every message crosses).
    const connect = (url: string, username: string) =>
      connectClient(url, username, sockets);
    const receivers: Receiver[] = new Array(pairs);
    const senders: { socket: Socket; userID: string }[] = new Array(pairs);
    await inBatches(pairs, CONNECT_CONCURRENCY, async (i) => {
      const receiver = await connect(urls[(i + 1) % urls.length], `r${i}`);
      const sender = await connect(urls[i % urls.length], `s${i}`);
      senders[i] = sender;
      receivers[i] = {
        socket: receiver.socket,
        userID: receiver.userID,
        senderID: sender.userID,
        seen: new Uint8Array(messages),
        unique: 0,
        maxSeq: -1,
        lastReceiptAt: -Infinity,
      };
    });

    const latencies = new Float64Array(pairs * messages);
    // When each of them was sent (performance.now()), to leave out the first second.
    const sentTimes = new Float64Array(pairs * messages);
    let latencyCount = 0;
    let duplicated = 0;
    let reordered = 0;
    let invalid = 0;
    let lastReceipt = 0;
    let pending = pairs;
    const receipts = options.receipts
      ? { sent: 0, answers: {} as Record<string, number> }
      : null;
    /** Sends the receipt a receiver owes, now or once its interval is over. */
    const sendReceipt = (receiver: Receiver) => {
      if (!receipts || receiver.receiptTimer) return;
      const wait =
        receiver.lastReceiptAt + RECEIPT_INTERVAL_MS - performance.now();
      if (wait > 0) {
        receiver.receiptTimer = setTimeout(() => {
          receiver.receiptTimer = undefined;
          sendReceipt(receiver);
        }, wait);
        return;
      }
      const id = receiver.unreceipted;
      if (id === undefined || isTimedOut) return;
      receiver.unreceipted = undefined;
      receiver.lastReceiptAt = performance.now();
      receipts.sent++;
      receiver.socket.emit(
        ChatEvent.Receipt,
        { userID: receiver.senderID, delivered: id, read: id },
        (answer: { ok?: boolean; error?: string } | undefined) => {
          const key = answer?.ok ? 'ok' : String(answer?.error ?? 'malformed');
          receipts.answers[key] = (receipts.answers[key] ?? 0) + 1;
        },
      );
    };
    let allDone!: () => void;
    const everyoneDone = new Promise<void>((resolve) => (allDone = resolve));

    for (const receiver of receivers) {
      receiver.socket.on(ChatEvent.PrivateMessage, (message: Message) => {
        const now = performance.now();
        lastReceipt = now;
        const content =
          typeof message?.content === 'string' ? message.content : '';
        const space = content.indexOf(' ');
        const seq = Number(content.slice(0, space));
        const sentAt = Number(
          content.slice(space + 1, content.indexOf(' ', space + 1)),
        );
        if (
          message.from !== receiver.senderID ||
          space < 1 ||
          !Number.isInteger(seq) ||
          seq < 0 ||
          seq >= messages ||
          !Number.isFinite(sentAt)
        ) {
          invalid++;
          return;
        }
        if (receiver.seen[seq]) {
          duplicated++;
          return;
        }
        receiver.seen[seq] = 1;
        receiver.unique++;
        if (seq < receiver.maxSeq) reordered++;
        else receiver.maxSeq = seq;
        sentTimes[latencyCount] = sentAt;
        latencies[latencyCount++] = now - sentAt;
        if (receipts && typeof message.id === 'string') {
          receiver.unreceipted = message.id;
          sendReceipt(receiver);
        }
        receiver.wake?.();
        if (receiver.unique === messages && --pending === 0) allDone();
      });
    }

    const acks: Record<string, number> | null = options.acks ? {} : null;
    const onAck = (answer: { ok?: boolean; error?: string } | undefined) => {
      const key = answer?.ok ? 'ok' : String(answer?.error ?? 'malformed');
      if (acks) acks[key] = (acks[key] ?? 0) + 1;
    };

    const cpuBefore = process.cpuUsage();
    const serverCpuBefore = sum(pids.map(processCpuSeconds));
    const start = performance.now();
    const padding = 'x'.repeat(payloadBytes);
    const interval = rate ? (1000 * pairs) / rate : 0; // ms between two sends of one pair
    let sent = 0;
    lastReceipt = start;
    let progress = -1;
    stallTimer = setInterval(() => {
      if (lastReceipt === progress) endRun('stalled');
      progress = lastReceipt;
    }, stallMs);

    const send = async (i: number) => {
      const { socket } = senders[i];
      const receiver = receivers[i];
      for (let seq = 0; seq < messages && !isTimedOut; seq++) {
        while (seq - receiver.unique >= window && !isTimedOut) {
          await Promise.race([
            new Promise<void>((resolve) => (receiver.wake = resolve)),
            timedOut,
          ]);
        }
        if (rate) {
          const due = start + seq * interval + (i * interval) / pairs;
          const wait = due - performance.now();
          if (wait > 1) {
            await Promise.race([sleep(wait), timedOut]);
          }
        }
        if (isTimedOut) break;
        const head = `${seq} ${performance.now().toFixed(3)} `;
        const content =
          head.length >= payloadBytes
            ? head
            : head + padding.slice(0, payloadBytes - head.length);
        const payload = { content, to: receiver.userID };
        if (acks) socket.emit(ChatEvent.PrivateMessage, payload, onAck);
        else socket.emit(ChatEvent.PrivateMessage, payload);
        sent++;
      }
    };
    await Promise.all(senders.map((_, i) => send(i)));
    await Promise.race([everyoneDone, timedOut]);
    clearInterval(stallTimer);
    for (const receiver of receivers) clearTimeout(receiver.receiptTimer);
    if (receipts) {
      const answered = Object.values(receipts.answers).reduce(
        (total, n) => total + n,
        0,
      );
      if (receipts.sent > answered)
        receipts.answers['none'] = receipts.sent - answered;
    }

    const serverCpuSeconds = sum(pids.map(processCpuSeconds)) - serverCpuBefore;
    const clientCpu = process.cpuUsage(cpuBefore);
    const memory = pids.map(processMemoryMiB);
    const delivered = sum(receivers.map((receiver) => receiver.unique));
    const durationSeconds = Math.max(lastReceipt - start, 1e-6) / 1000;
    const steady = latencies
      .subarray(0, latencyCount)
      .filter((_, i) => sentTimes[i] - start >= STEADY_AFTER_MS)
      .sort();
    const sorted = latencies.subarray(0, latencyCount).sort();
    return {
      pairs,
      messagesPerPair: messages,
      payloadBytes,
      rate: rate ?? null,
      window,
      sent,
      expected: pairs * messages,
      delivered,
      lost: sent - delivered,
      unsent: pairs * messages - sent,
      duplicated,
      reordered,
      invalid,
      ended,
      timedOut: ended !== 'complete',
      acks,
      receipts,
      durationSeconds,
      messagesPerSecond: delivered / durationSeconds,
      latencyMs: {
        p50: percentile(sorted, 0.5),
        p90: percentile(sorted, 0.9),
        p99: percentile(sorted, 0.99),
        p99AfterFirstSecond: percentile(steady, 0.99),
        max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
        mean: sorted.length
          ? sum(Array.from(sorted)) / sorted.length
          : Number.NaN,
      },
      clientCpuSeconds: (clientCpu.user + clientCpu.system) / 1e6,
      serverCpuSeconds,
      serverCpuMicrosPerMessage: delivered
        ? (serverCpuSeconds * 1e6) / delivered
        : Number.NaN,
      serverRssMiB: sum(memory.map((m) => m.rss)),
      serverPeakRssMiB: sum(memory.map((m) => m.peak)),
    };
  } finally {
    clearTimeout(stopTimer);
    clearInterval(stallTimer);
    for (const socket of sockets) socket.disconnect();
  }
}

/**
 * One websocket client, connected, told its identity (`session`) and given its `users` (the last
 * event of the server's connection sequence), or an error within the timeout.
 */
function connectClient(
  url: string,
  username: string,
  sockets: Socket[],
): Promise<{ socket: Socket; userID: string }> {
  const socket = io(url, {
    transports: ['websocket'],
    auth: { username },
    reconnection: false,
    forceNew: true,
    timeout: CONNECT_TIMEOUT_MS,
  });
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`${username}: no session and users from ${url} in time`),
        ),
      CONNECT_TIMEOUT_MS,
    );
    // A run started at `session` overlapped the server's joins and listings of the last clients.
    let userID: string | undefined;
    socket.once(ChatEvent.Session, (session: SessionInfo) => {
      userID = session.userID;
    });
    socket.once(ChatEvent.Users, () => {
      clearTimeout(timer);
      if (userID !== undefined) resolve({ socket, userID });
      else reject(new Error(`${username}: users before session from ${url}`));
    });
    socket.once('connect_error', (error: Error) => {
      clearTimeout(timer);
      reject(
        new Error(`${username}: cannot connect to ${url}: ${error.message}`),
      );
    });
  });
}

async function inBatches(
  count: number,
  size: number,
  run: (i: number) => Promise<void>,
): Promise<void> {
  for (let first = 0; first < count; first += size) {
    const batch: Promise<void>[] = [];
    for (let i = first; i < Math.min(count, first + size); i++)
      batch.push(run(i));
    await Promise.all(batch);
  }
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[
    Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))
  ];
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
