import { Module } from '@nestjs/common';
import { PresenceKeeper } from './presence-keeper';
import { PresenceService } from './presence.service';

/**
 * Presence: who is online across nodes, and the announcements when that changes. PresenceStore
 * comes from the global StoresModule, Broadcaster from the transport.
 */
@Module({
  providers: [PresenceService, PresenceKeeper],
  exports: [PresenceService, PresenceKeeper],
})
export class PresenceModule {}
