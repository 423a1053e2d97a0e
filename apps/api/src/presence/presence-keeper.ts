import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { describeError } from '../shared/describe-error';
import { PresenceService } from './presence.service';
import { PresenceStore } from './stores/presence.store';

/**
 * The upkeep of a presence store shared by several nodes (`STORE=redis`; nothing to do for one
 * process): every PRESENCE_NODE_TIMEOUT / 3 this node's heartbeat (`refresh`), every
 * PRESENCE_NODE_TIMEOUT / 8 a look for dead nodes (`sweep`), whose users PresenceService then
 * announces offline. So a node killed without a word has its users shown offline within
 * PRESENCE_NODE_TIMEOUT + PRESENCE_NODE_TIMEOUT / 8 (11.25 s by default).
 *
 * On shutdown, once the chat has handled the disconnection of this node's sockets, the node
 * leaves: whatever it still counted is removed, and its users announced offline if they have no
 * socket left anywhere. Timers are unref'd: they never keep the process alive.
 */
@Injectable()
export class PresenceKeeper
  implements
    OnApplicationBootstrap,
    BeforeApplicationShutdown,
    OnApplicationShutdown
{
  private readonly logger = new Logger('Presence');
  private timers: NodeJS.Timeout[] = [];
  private refreshing: Promise<void> | undefined;
  private sweeping: Promise<void> | undefined;
  /** Set while Redis fails: logged once, and sweeping waits until every node could refresh. */
  private failing = false;
  private sweepNotBefore = 0;

  constructor(
    private readonly presence: PresenceStore,
    private readonly announcer: PresenceService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const schedule = this.presence.schedule;
    if (!schedule) return;
    // Registers this node before it takes connections.
    await this.refresh();
    this.timers = [
      setInterval(() => void this.refresh(), schedule.refreshMs),
      setInterval(() => void this.sweep(), schedule.sweepMs),
    ];
    for (const timer of this.timers) timer.unref();
  }

  /** Stops the timers, and waits for a refresh or sweep in progress. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** After the sockets are closed (Nest closes them between the two hooks): leave. */
  async onApplicationShutdown(): Promise<void> {
    await this.stop();
    await this.announcer.drain();
    try {
      const offline = await this.presence.leave();
      await this.announcer.announcePresence([], offline);
    } catch (error) {
      // Its heartbeat will expire and another node will sweep what is left.
      this.logger.warn(`leaving presence failed: ${describeError(error)}`);
    }
  }

  /** Stops the timers (a node that is killed, in tests, stops here without leaving). */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await Promise.all([this.refreshing, this.sweeping]);
  }

  /** One heartbeat, and the announcements it calls for. Never rejects. */
  refresh(): Promise<void> {
    this.refreshing ??= this.refreshOnce().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** One look for dead nodes, and the announcements it calls for. Never rejects. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async refreshOnce(): Promise<void> {
    try {
      const { online, offline } = await this.presence.refresh();
      if (this.failing) {
        this.failing = false;
        this.logger.log('presence heartbeat is back');
      }
      if (online.length > 0 || offline.length > 0)
        await this.announcer.announcePresence(online, offline);
    } catch (error) {
      // After an outage long enough for heartbeats to expire, give every node the time to send
      // one again before taking any of them for dead.
      this.sweepNotBefore =
        Date.now() + (this.presence.schedule?.nodeTimeoutMs ?? 0);
      if (this.failing) return;
      this.failing = true;
      this.logger.warn(
        `presence heartbeat failed, retrying: ${describeError(error)}`,
      );
    }
  }

  private async sweepOnce(): Promise<void> {
    if (this.failing || Date.now() < this.sweepNotBefore) return;
    try {
      const { offline, lastSeen } = await this.presence.sweep();
      if (offline.length > 0) {
        this.logger.log(
          `${offline.length} user(s) of dead node(s) shown offline`,
        );
        await this.announcer.announcePresence([], offline, lastSeen);
      }
    } catch (error) {
      this.logger.warn(`presence sweep failed: ${describeError(error)}`);
    }
  }
}
