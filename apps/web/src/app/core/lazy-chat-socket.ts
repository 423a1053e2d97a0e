import type { ClientToServerEvents, HandshakeAuth } from '@chat/contracts';
import { type Observable, Subject } from 'rxjs';
import type {
  AckOf,
  ChatSocket,
  ChatSocketEventName,
  ChatSocketPayload,
} from './chat-socket';

/**
 * A ChatSocket whose transport (socket.io's client, a third of the app's code) is loaded only
 * when wanted: the username form, a new user's first screen, shows without it. Until then it
 * keeps what the stores ask for: the auth, whether to connect, the events they listen to. A
 * transport that fails to load counts as a refused connection (`connect_error`), which the
 * connection store retries, and makes requests fail as unanswered.
 */
export class LazyChatSocket implements ChatSocket {
  private transport: ChatSocket | undefined;
  private loading: Promise<ChatSocket> | undefined;
  private auth: HandshakeAuth = {};
  /** `connect()` was called, and no `disconnect()` since, while loading. */
  private wanted = false;
  private readonly events = new Map<ChatSocketEventName, Subject<unknown>>();

  constructor(private readonly load: () => Promise<ChatSocket>) {}

  get active(): boolean {
    return this.transport ? this.transport.active : this.wanted;
  }

  setAuth(auth: HandshakeAuth): void {
    this.auth = { ...auth };
    this.transport?.setAuth(auth);
  }

  connect(): void {
    if (this.transport) return this.transport.connect();
    this.wanted = true;
    void this.prepare().catch(() => undefined);
  }

  disconnect(): void {
    if (this.transport) return this.transport.disconnect();
    this.wanted = false;
  }

  fromEvent<E extends ChatSocketEventName>(
    event: E,
  ): Observable<ChatSocketPayload<E>> {
    let subject = this.events.get(event);
    if (!subject) {
      subject = new Subject<unknown>();
      this.events.set(event, subject);
      this.transport?.fromEvent(event).subscribe(subject);
    }
    return subject.asObservable() as Observable<ChatSocketPayload<E>>;
  }

  emitWithAck<E extends keyof ClientToServerEvents>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
  ): Promise<AckOf<ClientToServerEvents[E]>> {
    return this.prepare().then((transport) =>
      transport.emitWithAck(event, payload),
    );
  }

  /** Dropped while the transport is not loaded: no link could carry it. */
  emitVolatile<E extends keyof ClientToServerEvents>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
  ): void {
    this.transport?.emitVolatile(event, payload);
  }

  /** Loads the transport (once; again after a failure) and hands it what was asked meanwhile. */
  prepare(): Promise<ChatSocket> {
    this.loading ??= this.load().then(
      (transport) => {
        transport.setAuth(this.auth);
        for (const [event, subject] of this.events)
          transport.fromEvent(event).subscribe(subject);
        this.transport = transport;
        if (this.wanted) transport.connect();
        return transport;
      },
      (error: unknown) => {
        this.loading = undefined;
        const wanted = this.wanted;
        this.wanted = false;
        if (wanted)
          this.events
            .get('connect_error')
            ?.next(new Error('the client could not be loaded'));
        throw error;
      },
    );
    return this.loading;
  }
}
