import { Injectable, Logger } from '@nestjs/common';
import { ChatEvent } from '@chat/contracts';
import { DirectoryService } from '../directory/directory.service';
import { Metrics } from '../metrics/metrics';
import { PresenceService } from '../presence/presence.service';
import { describeError } from '../shared/describe-error';
import type { ChatServer, ChatSocket } from './chat-socket';

/** Sockets re-synced at a time: a node with many sockets does not flood the stores at once. */
const CONCURRENCY = 32;
/** A socket whose re-sync failed (a store still away) is tried again after this long... */
const RETRY_MS = 1000;
/** ...at most this many times in all. */
const ATTEMPTS = 5;

/**
 * Re-syncs this node's sockets from the stores after broadcasts may have been lost: Redis pub/sub
 * drops what is published while a node's subscriber connection is away (a Redis restart, a node
 * cut off). Each socket is sent `users` again, as on connection (its conversations' recent
 * messages, presence, markers): the guide's client replaces each conversation's messages with the
 * replay's, ours merges them by id. Runs in each user's turn, so never before the socket's own
 * `session` and first `users`.
 */
@Injectable()
export class Resync {
  private readonly logger = new Logger('Resync');
  private server: ChatServer | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly directory: DirectoryService,
    private readonly presence: PresenceService,
    private readonly metrics: Metrics,
  ) {}

  attach(server: ChatServer): void {
    this.server = server;
  }

  /**
   * Re-syncs every socket connected now; called while one runs, another follows it (for the
   * sockets of then). Resolves when done; never rejects.
   */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.runAll().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.run();
      }
    });
    return this.running;
  }

  /**
   * Re-syncs this node's sockets in `room` now (a user's room: their tabs here). Resolves when
   * done; never rejects.
   */
  runRoom(room: string): Promise<void> {
    const namespace = this.server?.of('/');
    const sockets = [...(namespace?.adapter.rooms.get(room) ?? [])].flatMap(
      (id) => namespace?.sockets.get(id) ?? [],
    );
    if (sockets.length === 0) return Promise.resolve();
    this.logger.log(
      `re-syncing ${sockets.length} socket(s) of one room from the stores (another node acknowledged their join late)`,
    );
    return this.resyncEach(sockets);
  }

  private async runAll(): Promise<void> {
    const sockets = [...(this.server?.of('/').sockets.values() ?? [])];
    this.logger.log(
      `re-syncing ${sockets.length} socket(s) from the stores (broadcasts may have been lost)`,
    );
    await this.resyncEach(sockets);
  }

  /** Re-syncs each of `sockets`, a few at a time, trying the failed ones again. */
  private async resyncEach(sockets: ChatSocket[]): Promise<void> {
    for (let attempt = 1; sockets.length > 0; attempt++) {
      const failed: ChatSocket[] = [];
      for (let i = 0; i < sockets.length; i += CONCURRENCY)
        await Promise.all(
          sockets.slice(i, i + CONCURRENCY).map(async (socket) => {
            if (!(await this.resync(socket))) failed.push(socket);
          }),
        );
      if (failed.length === 0) return;
      if (attempt >= ATTEMPTS) {
        this.logger.error(
          `could not re-sync ${failed.length} socket(s); they re-sync when they reconnect`,
        );
        return;
      }
      sockets = failed;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  /** False if it should be tried again. */
  private async resync(socket: ChatSocket): Promise<boolean> {
    const user = socket.data;
    if (!user.userID) return true;
    try {
      await this.presence.inTurn(user.userID, async () => {
        if (socket.disconnected) return;
        const users = await this.directory.usersOnConnect(user, (rooms) =>
          socket.join(rooms),
        );
        if (socket.disconnected) return;
        socket.emit(ChatEvent.Users, users);
        this.metrics.socketResynced();
      });
      return true;
    } catch (error) {
      this.logger.warn(
        `re-sync of user ${user.userID} failed: ${describeError(error)}`,
      );
      return socket.disconnected;
    }
  }
}
