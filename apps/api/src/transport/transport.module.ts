import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfigService } from '../config/app-config.module';
import { ConversationStateModule } from '../conversation-state/conversation-state.module';
import { DirectoryModule } from '../directory/directory.module';
import { MessagingModule } from '../messaging/messaging.module';
import { PresenceModule } from '../presence/presence.module';
import { SessionsModule } from '../sessions/sessions.module';
import { Broadcaster } from '../shared/broadcaster';
import { SocketIoBroadcaster } from './broadcaster';
import { ChatGateway } from './chat.gateway';
import { ConnectionLifecycle } from './connection-lifecycle';
import { HandshakeMiddleware } from './handshake.middleware';
import { Resync } from './resync';
import { TransportOptions } from './transport-options';

/**
 * The broadcaster, for every capability that announces something (global: the capabilities'
 * modules do not import the transport, which imports them).
 */
@Global()
@Module({
  providers: [
    SocketIoBroadcaster,
    { provide: Broadcaster, useExisting: SocketIoBroadcaster },
  ],
  exports: [SocketIoBroadcaster, Broadcaster],
})
export class BroadcasterModule {}

/**
 * The only application code that touches socket.io: the gateway (events in, acks out), the
 * handshake middleware, the connection lifecycle and the broadcaster (deliveries out).
 */
@Module({
  imports: [
    BroadcasterModule,
    SessionsModule,
    MessagingModule,
    PresenceModule,
    DirectoryModule,
    ConversationStateModule,
  ],
  providers: [
    ChatGateway,
    HandshakeMiddleware,
    ConnectionLifecycle,
    Resync,
    {
      provide: TransportOptions,
      useFactory: (config: AppConfigService) =>
        new TransportOptions({
          trustProxy: config.get('trustProxy', { infer: true }),
        }),
      inject: [ConfigService],
    },
  ],
})
export class TransportModule {}
