import { Injectable, Logger } from '@nestjs/common';
import { ChatEvent } from '@chat/contracts';
import { DirectoryService } from '../directory/directory.service';
import { PresenceService } from '../presence/presence.service';
import { SessionsService } from '../sessions/sessions.service';
import { describeError } from '../shared/describe-error';
import { SocketIoBroadcaster } from './broadcaster';
import type { ChatSocket } from './chat-socket';

/**
 * The protocol's on-connection and on-disconnection sequences, on the socket: presence decides who
 * is online and stores it, the directory what the socket is sent and which rooms it joins; this
 * does it. Each runs in the user's turn (PresenceService.inTurn), so one user's tabs connecting
 * and closing never interleave, and is tracked, so that a node leaving waits for them.
 */
@Injectable()
export class ConnectionLifecycle {
  private readonly logger = new Logger('Connections');

  constructor(
    private readonly presence: PresenceService,
    private readonly directory: DirectoryService,
    private readonly sessions: SessionsService,
    private readonly broadcaster: SocketIoBroadcaster,
  ) {}

  /** Never rejects: a failure is logged and the socket dropped. */
  onConnection(socket: ChatSocket): Promise<void> {
    return this.presence.track(this.connect(socket));
  }

  /**
   * Announces the user offline once their last socket on any node is gone (presence tells, across
   * nodes). Never rejects.
   */
  onDisconnect(socket: ChatSocket, reason?: string): Promise<void> {
    return this.presence.track(this.disconnect(socket, reason));
  }

  private async connect(socket: ChatSocket): Promise<void> {
    const user = socket.data;
    const { sessionID, userID, username } = user;
    try {
      await this.presence.inTurn(userID, async () => {
        await this.presence.connected(user, socket);
        const settings = await this.sessions.settingsOf(userID);
        if (socket.disconnected) return; // its disconnect is queued behind us and will clean up
        socket.emit(ChatEvent.Session, {
          sessionID,
          userID,
          username,
          settings,
        });
        await socket.join(this.directory.roomsOnConnect(user));
        // Read history only after joining: a message stored earlier is in it, a later one arrives live.
        const users = await this.directory.usersOnConnect(user, (rooms) =>
          socket.join(rooms),
        );
        if (socket.disconnected) return;
        socket.emit(ChatEvent.Users, users);
        this.broadcaster.send([this.presence.arrival(user)], socket);
      });
    } catch (error) {
      this.logger.error(
        `connection of user ${userID} failed: ${describeError(error)}`,
      );
      socket.disconnect();
    }
  }

  private async disconnect(socket: ChatSocket, reason?: string) {
    const user = socket.data;
    if (!user.userID) return; // refused at the handshake: never was anyone
    this.logger.debug(
      `socket ${socket.id} of user ${user.userID} disconnected (${reason})`,
    );
    try {
      await this.presence.inTurn(user.userID, () =>
        this.presence.disconnected(user, socket),
      );
    } catch (error) {
      this.logger.error(
        `disconnection of user ${user.userID} failed: ${describeError(error)}`,
      );
    }
  }
}
