import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfigService } from '../config/app-config.module';
import { ChatGateway } from './chat.gateway';
import { ChatService } from './chat.service';
import { HandshakeMiddleware } from './handshake.middleware';
import { IdGenerator } from './ids';
import { RateLimiter } from './rate-limiter';

/** The chat feature. Stores come from the global StoresModule (chosen by `STORE`). */
@Module({
  providers: [
    ChatGateway,
    ChatService,
    HandshakeMiddleware,
    IdGenerator,
    {
      provide: RateLimiter,
      useFactory: (config: AppConfigService) =>
        new RateLimiter(config.get('rateLimit', { infer: true })),
      inject: [ConfigService],
    },
  ],
})
export class ChatModule {}
