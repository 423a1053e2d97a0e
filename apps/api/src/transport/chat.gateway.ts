import { Logger, UseFilters } from '@nestjs/common';
import {
  Ack,
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import {
  ChatEvent,
  ErrorCode,
  type FetchMessagesAck,
  type FetchUsersAck,
} from '@chat/contracts';
import { ConversationStateService } from '../conversation-state/conversation-state.service';
import { DirectoryService } from '../directory/directory.service';
import { MessagingService, type Sent } from '../messaging/messaging.service';
import { Metrics } from '../metrics/metrics';
import { SessionsService } from '../sessions/sessions.service';
import { SocketIoBroadcaster } from './broadcaster';
import { ChatExceptionFilter } from './chat-exception.filter';
import type { ChatServer, ChatSocket } from './chat-socket';
import { ConnectionLifecycle } from './connection-lifecycle';
import { HandshakeMiddleware } from './handshake.middleware';
import { Resync } from './resync';
import { observeServer } from './socket-metrics';

/**
 * Events in, service calls, acks out; the services' deliveries go to the broadcaster. No state, no
 * storage. Server options (CORS, payload size) come from config through ChatIoAdapter, since
 * decorator arguments cannot read ConfigService.
 */
@UseFilters(ChatExceptionFilter)
@WebSocketGateway()
export class ChatGateway
  implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect
{
  private readonly logger = new Logger(ChatGateway.name);
  private readonly exceptionFilter = new ChatExceptionFilter();

  constructor(
    private readonly messaging: MessagingService,
    private readonly directory: DirectoryService,
    private readonly sessions: SessionsService,
    private readonly conversationState: ConversationStateService,
    private readonly connections: ConnectionLifecycle,
    private readonly handshake: HandshakeMiddleware,
    private readonly broadcaster: SocketIoBroadcaster,
    private readonly metrics: Metrics,
    private readonly resync: Resync,
  ) {}

  afterInit(server: ChatServer): void {
    server.use(this.handshake.use);
    this.broadcaster.attach(server);
    this.resync.attach(server);
    observeServer(server, this.metrics);
  }

  // Nest binds the message handlers synchronously on connection, before this async sequence
  // yields, so an event sent right after connecting is not lost.
  handleConnection(socket: ChatSocket): Promise<void> {
    socket.on(ChatEvent.PrivateMessage, (...args: unknown[]) =>
      this.receivePrivateMessage(socket, args),
    );
    return this.connections.onConnection(socket);
  }

  handleDisconnect(socket: ChatSocket, reason?: string): Promise<void> {
    return this.connections.onDisconnect(socket, reason);
  }

  /**
   * `private message`, the hot path, is bound by hand (in `handleConnection`) rather than with
   * @SubscribeMessage: Nest's per-message execution context (guards, interceptors, a pipe chain per
   * parameter; this handler uses none of them) costs about 6 µs of CPU per message, a fifth of the
   * server's whole work for one. What it did that matters is done here: the payload and ack as
   * Nest's socket.io adapter hands them, and a failure answered and logged by ChatExceptionFilter.
   * A guard, pipe or interceptor added to this gateway would NOT apply to this event.
   */
  private receivePrivateMessage(socket: ChatSocket, args: unknown[]): void {
    // IoAdapter.mapPayload: the ack is the last argument if it is a function; the payload is the
    // only other argument, or all of them.
    const last: unknown = args.at(-1);
    // Only a function if the client asked for an acknowledgement; typed unknown since it controls it.
    const ack = typeof last === 'function' ? last : undefined;
    const rest = ack ? args.slice(0, -1) : args;
    const payload = rest.length > 1 ? rest : rest[0];
    // One promise per message rather than a chain of async calls: under load each message waits
    // for its store, and everything it holds meanwhile is what the garbage collector copies.
    this.messaging
      .send(socket.data.userID, payload)
      .then((sent) => this.deliverPrivateMessage(socket, sent, ack))
      .catch((error: unknown) =>
        // As Nest's WsProxy would: the arguments the handler had.
        this.exceptionFilter.handle(ChatEvent.PrivateMessage, error, [
          socket,
          payload,
          ack,
        ]),
      );
  }

  /** Delivers a stored message (the recipient's and the sender's other tabs), then answers. */
  private deliverPrivateMessage(
    socket: ChatSocket,
    { ack: response, deliveries }: Sent,
    ack: unknown,
  ): void {
    this.broadcaster.send(deliveries, socket);
    this.metrics.messageResult(response);
    if (typeof ack === 'function') {
      ack(response);
      return;
    }
    if (response.ok) return;
    const note = `dropped a private message from ${socket.data.userID}: ${response.error}`;
    // A flooding client must not flood the logs too; other drops are bounded by the rate limit.
    if (response.error === ErrorCode.RateLimited) this.logger.debug(note);
    else this.logger.warn(note);
  }

  @SubscribeMessage(ChatEvent.FetchUsers)
  async onFetchUsers(
    @ConnectedSocket() socket: ChatSocket,
    @MessageBody() payload: unknown,
    @Ack() ack: unknown,
  ): Promise<void> {
    const response: FetchUsersAck = await this.directory.fetchUsers(
      socket.data.userID,
      payload,
      (rooms) => socket.join(rooms),
    );
    // Without an acknowledgement nobody can receive the page: nothing else to do (rate limited).
    if (typeof ack === 'function') ack(response);
  }

  @SubscribeMessage(ChatEvent.FetchMessages)
  async onFetchMessages(
    @ConnectedSocket() socket: ChatSocket,
    @MessageBody() payload: unknown,
    @Ack() ack: unknown,
  ): Promise<void> {
    // The reader is always the socket's own user: a payload names only the other one.
    const response: FetchMessagesAck = await this.messaging.fetchMessages(
      socket.data.userID,
      payload,
    );
    if (typeof ack === 'function') {
      ack(response);
      return;
    }
    // A page nobody can receive: dropped. Still counted by the rate limit, which bounds this log.
    const note = `dropped a fetch messages from ${socket.data.userID}: ${
      response.ok ? 'no acknowledgement' : response.error
    }`;
    if (!response.ok && response.error === ErrorCode.RateLimited)
      this.logger.debug(note);
    else this.logger.warn(note);
  }

  @SubscribeMessage(ChatEvent.Receipt)
  async onReceipt(
    @ConnectedSocket() socket: ChatSocket,
    @MessageBody() payload: unknown,
    @Ack() ack: unknown,
  ): Promise<void> {
    const { ack: response, deliveries } = await this.conversationState.receipt(
      socket.data.userID,
      payload,
    );
    this.broadcaster.send(deliveries, socket);
    if (typeof ack === 'function') ack(response);
    else if (!response.ok)
      this.dropped(socket, ChatEvent.Receipt, response.error);
  }

  /** No acknowledgement: a notice that cannot go is dropped silently. */
  @SubscribeMessage(ChatEvent.Typing)
  async onTyping(
    @ConnectedSocket() socket: ChatSocket,
    @MessageBody() payload: unknown,
  ): Promise<void> {
    this.broadcaster.send(
      await this.conversationState.typing(socket.data.userID, payload),
      socket,
    );
  }

  @SubscribeMessage(ChatEvent.Settings)
  async onSettings(
    @ConnectedSocket() socket: ChatSocket,
    @MessageBody() payload: unknown,
    @Ack() ack: unknown,
  ): Promise<void> {
    const { ack: response, deliveries } = await this.sessions.updateSettings(
      socket.data.userID,
      payload,
    );
    this.broadcaster.send(deliveries, socket);
    if (typeof ack === 'function') ack(response);
    else if (!response.ok)
      this.dropped(socket, ChatEvent.Settings, response.error);
  }

  /** Logs an event refused without an acknowledgement to say so; rate-limited ones quietly. */
  private dropped(socket: ChatSocket, event: string, error: ErrorCode): void {
    const note = `dropped a ${event} from ${socket.data.userID}: ${error}`;
    if (error === ErrorCode.RateLimited) this.logger.debug(note);
    else this.logger.warn(note);
  }
}
