import type {
  ClientToServerEvents,
  Message,
  ConnectErrorData,
  FetchMessagesAck,
  FetchMessagesInput,
  FetchUsersAck,
  FetchUsersInput,
  PrivateMessageAck,
  PrivateMessageInput,
  ReceiptAck,
  ReceiptInput,
  SettingsAck,
  SettingsInput,
  ServerToClientEvents,
  SessionInfo,
  UserView,
} from '@chat/contracts';
import { io, type Socket } from 'socket.io-client';

/**
 * socket.io-client users for tests that talk to a real api, in-process (the api's gateway tests)
 * or as a separate process (api-e2e): typed by the contracts, recording everything they receive.
 */

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type EventName = keyof ServerToClientEvents;
type Payload<E extends EventName> = Parameters<ServerToClientEvents[E]>[0];

export const WAIT_MS = 2000;

/** Resolves once `condition` holds, checking every few milliseconds; rejects after `ms`. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what = 'a condition',
  ms = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Rejects after `ms` unless `promise` settles first; the timer never outlives the wait. */
export function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface ClientOptions {
  /** Connect at once (default) or wait for `socket.connect()`. */
  connect?: boolean;
  /** HTTP headers of the handshake (X-Forwarded-For, as a proxy would add it). */
  headers?: Record<string, string>;
}

/**
 * A socket.io-client user that records every event it receives, so a test can wait for one
 * (already received or still to come) and later assert what never arrived.
 */
export class TestClient {
  readonly socket: ClientSocket;
  readonly received: { event: string; payload: unknown }[] = [];
  private listeners = new Set<() => void>();
  private disconnectReason: string | undefined;

  constructor(url: string, auth: unknown, options: ClientOptions = {}) {
    this.socket = io(url, {
      transports: ['websocket'],
      extraHeaders: options.headers,
      // auth is anything on purpose: tests send what a hostile client could.
      auth: auth as Record<string, unknown>,
      reconnection: false,
      forceNew: true,
      autoConnect: options.connect ?? true,
    });
    this.socket.onAny((event: string, payload: unknown) => {
      this.received.push({ event, payload });
      for (const listener of this.listeners) listener();
    });
    this.socket.on('disconnect', (reason) => {
      this.disconnectReason = reason;
    });
  }

  /** Payloads of `event` received so far, in order. */
  all<E extends EventName>(event: E): Payload<E>[] {
    return this.received
      .filter((r) => r.event === event)
      .map((r) => r.payload as Payload<E>);
  }

  /** Every event name received so far, in order. */
  get eventNames(): string[] {
    return this.received.map((r) => r.event);
  }

  /** The first `event` (past or future) whose payload matches. */
  waitFor<E extends EventName>(
    event: E,
    matches: (payload: Payload<E>) => boolean = () => true,
    ms = WAIT_MS,
  ): Promise<Payload<E>> {
    const found = () => this.all(event).find(matches);
    const already = found();
    if (already !== undefined) return Promise.resolve(already);
    let listener: () => void = () => undefined;
    const arrival = new Promise<Payload<E>>((resolve) => {
      listener = () => {
        const payload = found();
        if (payload !== undefined) resolve(payload);
      };
      this.listeners.add(listener);
    });
    return within(arrival, ms, `"${event}"`).finally(() =>
      this.listeners.delete(listener),
    );
  }

  /** Emits anything at all, as a hostile or buggy client could. */
  emitRaw(event: string, ...args: unknown[]): void {
    (this.socket.emit as (event: string, ...args: unknown[]) => void).apply(
      this.socket,
      [event, ...args],
    );
  }

  /** Sends with an ack and resolves with the server's answer. */
  send(payload: unknown): Promise<PrivateMessageAck> {
    return within(
      new Promise<PrivateMessageAck>((resolve) =>
        this.socket.emit(
          'private message',
          payload as PrivateMessageInput,
          resolve,
        ),
      ),
      WAIT_MS,
      'the ack',
    );
  }

  /** Asks for a page of history with an ack and resolves with the server's answer. */
  fetch(payload: unknown): Promise<FetchMessagesAck> {
    return within(
      new Promise<FetchMessagesAck>((resolve) =>
        this.socket.emit(
          'fetch messages',
          payload as FetchMessagesInput,
          resolve,
        ),
      ),
      WAIT_MS,
      'the ack',
    );
  }

  /** Asks for users (a directory page, or by id) with an ack and resolves with the answer. */
  fetchUsers(payload: unknown): Promise<FetchUsersAck> {
    return within(
      new Promise<FetchUsersAck>((resolve) =>
        this.socket.emit('fetch users', payload as FetchUsersInput, resolve),
      ),
      WAIT_MS,
      'the ack',
    );
  }

  /** Sends a `receipt` with an ack and resolves with the server's answer. */
  receipt(payload: unknown): Promise<ReceiptAck> {
    return within(
      new Promise<ReceiptAck>((resolve) =>
        this.socket.emit('receipt', payload as ReceiptInput, resolve),
      ),
      WAIT_MS,
      'the ack',
    );
  }

  /** Sends `settings` with an ack and resolves with the server's answer. */
  settings(payload: unknown): Promise<SettingsAck> {
    return within(
      new Promise<SettingsAck>((resolve) =>
        this.socket.emit('settings', payload as SettingsInput, resolve),
      ),
      WAIT_MS,
      'the ack',
    );
  }

  /** Resolves once the handshake was accepted (before or after the call). */
  connected(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return within(
      new Promise<void>((resolve) =>
        this.socket.once('connect', () => resolve()),
      ),
      WAIT_MS,
      'connect',
    );
  }

  /** Resolves with the reason once the socket has disconnected (before or after the call). */
  disconnected(): Promise<string> {
    if (this.disconnectReason !== undefined)
      return Promise.resolve(this.disconnectReason);
    return within(
      new Promise<string>((resolve) =>
        this.socket.once('disconnect', (reason) => resolve(reason)),
      ),
      WAIT_MS,
      'disconnect',
    );
  }

  close(): void {
    this.socket.disconnect();
  }
}

export interface ConnectedUser {
  client: TestClient;
  session: SessionInfo;
  users: UserView[];
}

/** Tracks clients so afterEach can close every one of them. */
export class ClientPool {
  private readonly clients: TestClient[] = [];

  constructor(private readonly url: () => string) {}

  /** Connects (to `url`, by default the pool's) and waits for `session` and `users`. */
  async connect(
    auth: unknown,
    url = this.url(),
    options: ClientOptions = {},
  ): Promise<ConnectedUser> {
    const client = this.open(auth, url, options);
    const [session, users] = await Promise.all([
      client.waitFor('session'),
      client.waitFor('users'),
    ]);
    return { client, session, users };
  }

  /** Opens a client without waiting for anything. */
  open(
    auth: unknown,
    url = this.url(),
    options: ClientOptions = {},
  ): TestClient {
    const client = new TestClient(url, auth, options);
    this.clients.push(client);
    return client;
  }

  /** Expects the handshake to be refused; resolves with the connect_error. */
  async refused(
    auth: unknown,
    url = this.url(),
    options: ClientOptions = {},
  ): Promise<Error & { data?: ConnectErrorData }> {
    const client = this.open(auth, url, options);
    return within(
      new Promise<Error & { data?: ConnectErrorData }>((resolve, reject) => {
        client.socket.once('connect_error', resolve);
        client.socket.once('connect', () =>
          reject(new Error('connected, expected a refusal')),
        );
      }),
      WAIT_MS,
      'connect_error',
    );
  }

  /** Every event any client of this pool received. */
  get allReceived(): { event: string; payload: unknown }[] {
    return this.clients.flatMap((client) => client.received);
  }

  closeAll(): void {
    for (const client of this.clients.splice(0)) client.close();
  }
}

/** Sends `content` from one connected user to another; resolves with the stored message, or throws. */
export async function say(
  from: ConnectedUser,
  to: ConnectedUser,
  content: string,
): Promise<Message> {
  const ack = await from.client.send({ content, to: to.session.userID });
  if (!ack.ok) throw new Error(`refused: ${ack.error}`);
  return ack.message;
}
