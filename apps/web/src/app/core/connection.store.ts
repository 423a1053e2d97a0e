import {
  DestroyRef,
  Injectable,
  computed,
  inject,
  signal,
} from '@angular/core';
import {
  ChatEvent,
  ErrorCode,
  INVALID_USERNAME,
  type HandshakeAuth,
  type SessionInfo,
  parseSessionId,
  validateUsername,
} from '@chat/contracts';
import { Subject } from 'rxjs';
import { Backoff } from './backoff';
import { CHAT_CONFIG } from './chat-config';
import { CHAT_SOCKET, type ChatConnectError, onChatEvent } from './chat-socket';
import { LOCAL_STORAGE, SafeStorage } from './web-storage';

/** localStorage keys; `sessionID` is the guide's. */
export const SESSION_ID_KEY = 'sessionID';
export const USERNAME_KEY = 'username';

/**
 * - `idle`: no session wanted yet (the username form);
 * - `connecting`: first handshake under way;
 * - `connected`: the link is up;
 * - `disconnected`: the link is down and being retried.
 */
export type ConnectionState =
  | 'idle'
  | 'connecting'
  | 'connected'
  | 'disconnected';

/**
 * Why the identity held here ends: `signed-out` (logout, or a refusal that sends the user back to
 * the username form) or `replaced` (the server handed out another identity: the old session
 * expired). Either way nothing of it may stay; after `replaced` the search text does.
 */
export type IdentityEnd = 'signed-out' | 'replaced';

/**
 * Who we are and whether the link is up: the username form, the handshake, the session kept in
 * localStorage, and the retries socket.io does not do by itself. The other stores keep data of
 * one identity only: they drop it on `identityEnded$`, and load what is stored for the new one on
 * `sessionStarted$`.
 */
@Injectable({ providedIn: 'root' })
export class ConnectionStore {
  private readonly socket = inject(CHAT_SOCKET);
  private readonly config = inject(CHAT_CONFIG);
  /** The session and the username (localStorage). */
  private readonly local = new SafeStorage(inject(LOCAL_STORAGE));

  private readonly state = signal<ConnectionState>('idle');
  private readonly sessionState = signal<SessionInfo | null>(null);
  /** After a reload, before the first `session`: whose restored sends this tab shows. */
  private readonly assumedID = signal<string | undefined>(undefined);
  private readonly refusal = signal<string | null>(null);
  /** Retries of a connection the server refused or closed. */
  private readonly retry = new Backoff(
    this.config.retryDelayMs,
    this.config.maxRetryDelayMs,
  );
  private readonly ended = new Subject<IdentityEnd>();
  private readonly started = new Subject<SessionInfo>();

  readonly connectionState = this.state.asReadonly();
  readonly connected = computed(() => this.state() === 'connected');
  /** Who we are, without the secret `sessionID`. */
  readonly session = computed(() => {
    const session = this.sessionState();
    return session
      ? { userID: session.userID, username: session.username }
      : null;
  });
  /** Our userID, once the server said it (`session`). */
  readonly userID = computed(() => this.sessionState()?.userID);
  /**
   * Whose data this tab holds: our userID, or after a reload, before the server says it, the one
   * the restored sends were written as (see `assume`).
   */
  readonly ownerID = computed(() => this.userID() ?? this.assumedID());
  /** The username form shows only while no session is wanted. */
  readonly view = computed(() =>
    this.state() === 'idle' ? 'select-username' : 'chat',
  );
  /** Why the last username was refused (by the form's checks or the server), if it was. */
  readonly usernameError = this.refusal.asReadonly();
  /**
   * The identity held ends. Emitted before it goes: `session()` and `userID()` still tell whose
   * data to drop.
   */
  readonly identityEnded$ = this.ended.asObservable();
  /** A `session` from the server (after every handshake): our identity, new or the same. */
  readonly sessionStarted$ = this.started.asObservable();

  constructor() {
    onChatEvent(ChatEvent.Session, (session) => this.onSession(session));
    onChatEvent('connect', () => this.onConnect());
    onChatEvent('disconnect', (reason) => this.onDisconnect(reason));
    onChatEvent('connect_error', (err) => this.onConnectError(err));
    inject(DestroyRef).onDestroy(() => this.retry.cancel());
  }

  /** A session is stored here: `resume` will reconnect it. */
  hasStoredSession(): boolean {
    return parseSessionId(this.local.get(SESSION_ID_KEY)) !== undefined;
  }

  /**
   * A stored session reconnects at once: a reload keeps identity and conversations. Called once
   * at start, when every store listens.
   */
  resume(): void {
    const sessionID = parseSessionId(this.local.get(SESSION_ID_KEY));
    if (!sessionID) return;
    const username = this.local.get(USERNAME_KEY);
    // With the username too, an expired session starts a fresh one under the same name.
    this.connect(username ? { sessionID, username } : { sessionID });
  }

  /**
   * After a reload, until the server says who we are: the sends restored were written as
   * `userID`. A `session` for someone else then ends that identity like any other.
   */
  assume(userID: string): void {
    this.assumedID.set(userID);
  }

  /** Validates like the server, then connects as a new user. False (and a reason) if invalid. */
  selectUsername(name: string): boolean {
    const result = validateUsername(name);
    if (!result.ok) {
      this.refusal.set(result.error);
      return false;
    }
    this.refusal.set(null);
    this.connect({ username: result.value });
    return true;
  }

  /** Forgets the session on this browser and returns to the username form. */
  logout(): void {
    // `idle` first, so the `disconnect` that follows is not taken for a lost link.
    this.reset();
    this.socket.disconnect();
  }

  private connect(auth: HandshakeAuth): void {
    this.socket.setAuth({ ...auth, directory: 'paged' });
    this.state.set('connecting');
    this.socket.connect();
  }

  private onSession(session: SessionInfo): void {
    const previousID = this.ownerID();
    this.assumedID.set(undefined);
    // A new identity (the old session expired): nothing of the old one is ours any more, and it
    // cannot come back on this browser.
    if (previousID !== undefined && previousID !== session.userID)
      this.ended.next('replaced');
    this.sessionState.set(session);
    this.local.set(SESSION_ID_KEY, session.sessionID);
    this.local.set(USERNAME_KEY, session.username);
    this.socket.setAuth({
      sessionID: session.sessionID,
      username: session.username,
      directory: 'paged',
    });
    this.refusal.set(null);
    this.started.next(session);
  }

  private onConnect(): void {
    this.retry.cancel();
    this.retry.reset();
    this.state.set('connected');
  }

  private onDisconnect(reason: string): void {
    if (this.state() === 'idle') return;
    this.state.set('disconnected');
    // Socket.io retries lost links by itself, but not a disconnection by the server.
    if (reason === 'io server disconnect') this.scheduleRetry();
  }

  private onConnectError(err: ChatConnectError): void {
    if (this.state() === 'idle') return;
    // A refused username, or too many new users from this address (retrying at once would not
    // help): back to the form, with the server's reason. A stored session refused as `rate
    // limited` is one tab too many from this address: retried below, like any other refusal.
    if (
      err.message === INVALID_USERNAME ||
      (err.message === ErrorCode.RateLimited && !this.hasStoredSession())
    ) {
      this.reset();
      this.socket.disconnect();
      this.refusal.set(err.data?.reason || INVALID_USERNAME);
      return;
    }
    this.state.set('disconnected');
    // Transport errors are retried by socket.io; a refusal by the server is not.
    if (!this.socket.active) this.scheduleRetry();
  }

  private scheduleRetry(): void {
    this.retry.schedule(() => {
      if (this.state() === 'disconnected' && !this.socket.active)
        this.socket.connect();
    });
  }

  /** Everything of this identity goes, here and (through `identityEnded$`) in every store. */
  private reset(): void {
    this.ended.next('signed-out');
    this.retry.cancel();
    this.retry.reset();
    this.local.remove(SESSION_ID_KEY);
    this.local.remove(USERNAME_KEY);
    this.socket.setAuth({});
    this.state.set('idle');
    this.sessionState.set(null);
    this.assumedID.set(undefined);
    this.refusal.set(null);
  }
}
