import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { processCpuSeconds, processMemoryMiB } from './servers';

/**
 * Joins scenario: `clients` users connect to ONE server, `concurrency` at a time, over websocket,
 * each with a distinct username, and every client keeps its own presence view from the events it
 * receives. Measures how long until every view is correct, the server's CPU, and its resident
 * memory before and after (idle), per connection.
 *
 * Two client modes:
 * - `guide`: auth `{ username }`. The view is built from `users` (every user), then `user connected`
 *   (a user object) and `user disconnected` (a bare userID). Correct: all `clients` users known, all
 *   connected.
 * - `paged`: auth `{ username, directory: 'paged' }` (our protocol addition). `users` carries only the
 *   user and their conversations; the client then emits `fetch users` `{}` and gets the directory's
 *   first page by acknowledgement, `{ ok: true, users, next? }`; users it was given are "watched"
 *   (their later presence events reach it). Correct: at least min(clients, PAGE_SIZE) users in the
 *   view, every one of them connected.
 *
 * Every wait is bounded: each connection by `connectTimeoutMs`, each `fetch users` by
 * `ackTimeoutMs`, the whole run by `timeoutMs`. The first failure (refused or dropped connection,
 * unanswered or refused `fetch users`) ends the run as failed. The run stops the server itself
 * before closing its clients: closing thousands of clients one by one on the guide's server is
 * itself quadratic (each departure is announced to everyone left).
 */

export type DirectoryMode = 'guide' | 'paged';

/** The directory page the paged mode expects at least (or every user, when fewer). */
export const PAGE_SIZE = 50;

export const JoinEvent = {
  Session: 'session',
  Users: 'users',
  UserConnected: 'user connected',
  UserDisconnected: 'user disconnected',
  FetchUsers: 'fetch users',
} as const;

export interface JoinsOptions {
  clients: number;
  mode: DirectoryMode;
  /** Clients connecting at the same time, at most. */
  concurrency: number;
  /** The whole run, whatever happens. */
  timeoutMs: number;
  /** One client: from its first handshake request until its initial view (`users`, and the page). */
  connectTimeoutMs: number;
  /** One `fetch users` acknowledgement. */
  ackTimeoutMs: number;
  /** Idle time after every view is correct, before the server's memory is read. */
  idleMs: number;
  /** Usernames are `${prefix}${i}`. */
  usernamePrefix: string;
}

export const DEFAULT_JOINS: JoinsOptions = {
  clients: 1000,
  mode: 'guide',
  concurrency: 200,
  timeoutMs: 90_000,
  connectTimeoutMs: 30_000,
  ackTimeoutMs: 10_000,
  idleMs: 2_000,
  usernamePrefix: 'j',
};

export interface JoinsResult {
  clients: number;
  mode: DirectoryMode;
  concurrency: number;
  /** `complete`: every view correct; otherwise why the run ended first. */
  ended: 'complete' | 'timeout' | 'failed';
  /** The first failure, or what was missing at the timeout. */
  error?: string;
  /** Clients that got their session. */
  connected: number;
  /** Clients whose view was correct when the run ended. */
  correct: number;
  /** From the first connection attempt until the last client had its initial view. */
  secondsToAllConnected: number | null;
  /** From the first connection attempt until every view was correct. */
  secondsToAllCorrect: number | null;
  elapsedSeconds: number;
  /** Presence events received by all clients together (`users`, `user connected`, `user disconnected`). */
  presenceEvents: number;
  /** Users listed in `users` payloads and directory pages, all clients together. */
  listedUsers: number;
  /** Until every view was correct (or the run ended). */
  serverCpuSeconds: number;
  /** Just before the first client, the server idle. */
  serverRssBeforeMiB: number;
  /** `idleMs` after every view was correct, every client still connected; NaN if the run failed. */
  serverRssAfterMiB: number;
  serverPeakRssMiB: number;
  /** (after − before) / clients, KiB; NaN if the run failed. */
  kibPerIdleConnection: number;
  clientCpuSeconds: number;
  clientPeakRssMiB: number;
}

/** The server under test: one process, and how to stop it. */
export interface JoinsServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

interface UserLike {
  userID?: unknown;
  username?: unknown;
  connected?: unknown;
}

interface FetchUsersAnswer {
  ok?: unknown;
  users?: unknown;
  next?: unknown;
  error?: unknown;
}

const UNKNOWN = 0;
const UP = 1;
const DOWN = 2;

/** One client's presence view: users of this run by index, anyone else by userID. */
class View {
  private readonly states: Uint8Array;
  private readonly others = new Map<string, boolean>();
  known = 0;
  down = 0;

  constructor(clients: number) {
    this.states = new Uint8Array(clients);
  }

  set(index: number | undefined, userID: string, connected: boolean): void {
    if (index === undefined) {
      const before = this.others.get(userID);
      if (before === undefined) this.known++;
      else if (!before) this.down--;
      this.others.set(userID, connected);
    } else {
      const before = this.states[index];
      if (before === UNKNOWN) this.known++;
      else if (before === DOWN) this.down--;
      this.states[index] = connected ? UP : DOWN;
    }
    if (!connected) this.down++;
  }
}

interface JoinClient {
  socket: Socket;
  view: View;
  /** Initial view received (`users`, and in paged mode the first page). */
  ready: boolean;
  correct: boolean;
}

export async function runJoins(
  server: JoinsServer,
  options: Partial<JoinsOptions> & Pick<JoinsOptions, 'clients' | 'mode'>,
): Promise<JoinsResult> {
  const settings: JoinsOptions = { ...DEFAULT_JOINS, ...options };
  const { clients: count, mode, usernamePrefix: prefix } = settings;
  const needed = mode === 'guide' ? count : Math.min(count, PAGE_SIZE);
  const clients: JoinClient[] = [];
  const indexOf = new Map<string, number>(); // userID → client index, for bare userIDs
  const indexOfUser = (user: UserLike): number | undefined => {
    if (typeof user.userID !== 'string') return undefined;
    const known = indexOf.get(user.userID);
    if (known !== undefined) return known;
    if (typeof user.username === 'string' && user.username.startsWith(prefix)) {
      const index = Number(user.username.slice(prefix.length));
      if (Number.isInteger(index) && index >= 0 && index < count) {
        indexOf.set(user.userID, index);
        return index;
      }
    }
    return undefined;
  };

  let connected = 0;
  let readyCount = 0;
  let correctCount = 0;
  let presenceEvents = 0;
  let listedUsers = 0;
  let ended: JoinsResult['ended'] | undefined;
  let error: string | undefined;
  let allConnectedAt: number | undefined;
  let allCorrectAt: number | undefined;
  let serverCpuAtEnd = Number.NaN;
  let clientPeakRss = process.memoryUsage().rss;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const serverCpuBefore = processCpuSeconds(server.pid);
  const clientCpuBefore = process.cpuUsage();
  const rssBefore = processMemoryMiB(server.pid).rss;
  const start = performance.now();
  const end = (why: 'complete' | 'timeout' | 'failed', reason?: string) => {
    if (ended) return;
    ended = why;
    error = reason;
    serverCpuAtEnd = processCpuSeconds(server.pid);
    finish();
  };
  const fail = (reason: string) =>
    end('failed', `${reason} (after ${elapsed().toFixed(1)} s)`);
  const elapsed = () => (performance.now() - start) / 1000;
  const stopTimer = setTimeout(
    () =>
      end(
        'timeout',
        `timed out after ${settings.timeoutMs / 1000} s: ${connected}/${count} connected, ` +
          `${readyCount} with their initial view, ${correctCount} views correct`,
      ),
    settings.timeoutMs,
  );
  const memoryTimer = setInterval(() => {
    clientPeakRss = Math.max(clientPeakRss, process.memoryUsage().rss);
  }, 500);

  const check = (client: JoinClient) => {
    const { view } = client;
    const correct = client.ready && view.known >= needed && view.down === 0;
    if (correct === client.correct) return;
    client.correct = correct;
    correctCount += correct ? 1 : -1;
    if (correctCount === count && readyCount === count) {
      allCorrectAt = performance.now();
      end('complete');
    }
  };

  const connectOne = (i: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const username = `${prefix}${i}`;
      const socket = io(server.url, {
        transports: ['websocket'],
        auth:
          mode === 'paged' ? { username, directory: 'paged' } : { username },
        reconnection: false,
        forceNew: true,
        timeout: settings.connectTimeoutMs,
      });
      const client: JoinClient = {
        socket,
        view: new View(count),
        ready: false,
        correct: false,
      };
      clients[i] = client;
      const timer = setTimeout(() => {
        fail(
          `${username}: no initial view within ${settings.connectTimeoutMs / 1000} s`,
        );
        resolve();
      }, settings.connectTimeoutMs);
      // The run may end (timeout, another client's failure) while this client still waits.
      void finished.then(() => {
        clearTimeout(timer);
        resolve();
      });
      const becomeReady = () => {
        clearTimeout(timer);
        client.ready = true;
        if (++readyCount === count) allConnectedAt = performance.now();
        check(client);
        resolve();
      };
      const add = (user: UserLike) => {
        if (typeof user?.userID !== 'string') return;
        client.view.set(
          indexOfUser(user),
          user.userID,
          user.connected !== false,
        );
      };

      socket.once(JoinEvent.Session, (session: { userID?: unknown }) => {
        connected++;
        if (typeof session?.userID === 'string') indexOf.set(session.userID, i);
      });
      socket.on(JoinEvent.Users, (users: unknown) => {
        presenceEvents++;
        if (!Array.isArray(users)) {
          fail(`${username}: \`users\` is not an array`);
          return;
        }
        listedUsers += users.length;
        for (const user of users as UserLike[]) add(user);
        if (mode === 'guide') {
          if (!client.ready) becomeReady();
          else check(client);
          return;
        }
        if (client.ready) return check(client);
        socket
          .timeout(settings.ackTimeoutMs)
          .emit(
            JoinEvent.FetchUsers,
            {},
            (timeout: Error | null, answer: FetchUsersAnswer | undefined) => {
              if (ended) return;
              if (timeout) {
                fail(
                  `${username}: no answer to \`fetch users\` within ${settings.ackTimeoutMs / 1000} s`,
                );
              } else if (answer?.ok !== true || !Array.isArray(answer.users)) {
                fail(
                  `${username}: \`fetch users\` answered ${JSON.stringify(answer)?.slice(0, 200)}`,
                );
              } else {
                listedUsers += answer.users.length;
                for (const user of answer.users as UserLike[]) add(user);
                becomeReady();
                return;
              }
              clearTimeout(timer);
              resolve();
            },
          );
      });
      socket.on(JoinEvent.UserConnected, (user: UserLike) => {
        presenceEvents++;
        add({ ...user, connected: true });
        check(client);
      });
      socket.on(JoinEvent.UserDisconnected, (userID: unknown) => {
        presenceEvents++;
        if (typeof userID !== 'string') return;
        client.view.set(indexOf.get(userID), userID, false);
        check(client);
      });
      socket.once('connect_error', (err: Error) => {
        clearTimeout(timer);
        fail(`${username}: cannot connect: ${err.message}`);
        resolve();
      });
      socket.on('disconnect', (reason: string) => {
        if (ended) return;
        clearTimeout(timer);
        fail(`${username}: disconnected (${reason})`);
        resolve();
      });
    });

  let next = 0;
  const worker = async () => {
    while (!ended && next < count) await connectOne(next++);
  };
  try {
    await Promise.race([
      Promise.all(
        Array.from({ length: Math.min(settings.concurrency, count) }, worker),
      ),
      finished,
    ]);
    await finished;
    clearTimeout(stopTimer);
    let rssAfter = Number.NaN;
    if (ended === 'complete') {
      await sleep(settings.idleMs);
      rssAfter = processMemoryMiB(server.pid).rss;
      // Still correct after the idle time? A drop in it (e.g. ping timeouts) fails the run.
      if (correctCount !== count)
        error = `${count - correctCount} views no longer correct after ${settings.idleMs / 1000} s idle`;
      if (error) ended = 'failed';
    }
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const peak = processMemoryMiB(server.pid).peak;
    const complete = ended === 'complete';
    return {
      clients: count,
      mode,
      concurrency: settings.concurrency,
      ended: ended ?? 'failed',
      ...(error ? { error } : {}),
      connected,
      correct: correctCount,
      secondsToAllConnected:
        allConnectedAt === undefined ? null : (allConnectedAt - start) / 1000,
      secondsToAllCorrect:
        allCorrectAt === undefined ? null : (allCorrectAt - start) / 1000,
      elapsedSeconds: elapsed(),
      presenceEvents,
      listedUsers,
      serverCpuSeconds: serverCpuAtEnd - serverCpuBefore,
      serverRssBeforeMiB: rssBefore,
      serverRssAfterMiB: complete ? rssAfter : Number.NaN,
      serverPeakRssMiB: peak,
      kibPerIdleConnection: complete
        ? ((rssAfter - rssBefore) * 1024) / count
        : Number.NaN,
      clientCpuSeconds: (clientCpu.user + clientCpu.system) / 1e6,
      clientPeakRssMiB: clientPeakRss / (1024 * 1024),
    };
  } finally {
    clearTimeout(stopTimer);
    clearInterval(memoryTimer);
    // Make every pending wait above give up, then stop the server before closing its clients.
    end('failed', error);
    await server.stop();
    for (const client of clients) client?.socket.disconnect();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
