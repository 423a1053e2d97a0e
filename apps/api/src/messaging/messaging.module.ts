import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfigService } from '../config/app-config.module';
import { MessagingOptions, MessagingService } from './messaging.service';

/**
 * Private messages and their history. MessageStore and SessionStore come from the global
 * StoresModule, Clock and IdGenerator from SharedModule.
 */
@Module({
  providers: [
    MessagingService,
    {
      provide: MessagingOptions,
      useFactory: (config: AppConfigService) =>
        new MessagingOptions({
          historyLimit: config.get('historyLimit', { infer: true }),
        }),
      inject: [ConfigService],
    },
  ],
  exports: [MessagingService],
})
export class MessagingModule {}
