import { Injectable, Logger } from '@nestjs/common';
import {
  ErrorCode,
  INVALID_USERNAME,
  type ConnectErrorData,
} from '@chat/contracts';
import type { ExtendedError } from 'socket.io';
import { SessionsService } from '../sessions/sessions.service';
import { describeError } from '../shared/describe-error';
import { clientAddress } from './client-address';
import { ConnectionLimit } from './connection-limit';
import type { ChatSocket } from './chat-socket';
import { TransportOptions } from './transport-options';

/** The `connect_error` reason of a handshake over MAX_CONNECTIONS_PER_ADDRESS. */
export const TOO_MANY_CONNECTIONS =
  'too many connections from this address, try again later';

/** The error a refused handshake reaches the client with (`connect_error`). */
export function connectError(message: string, reason: string): ExtendedError {
  const error: ExtendedError = new Error(message);
  const data: ConnectErrorData = { reason };
  error.data = data;
  return error;
}

/**
 * socket.io middleware (`server.use`), the WsGuard of this gateway: it runs once per handshake,
 * before the connection exists, and either fills the typed `socket.data` or refuses.
 */
@Injectable()
export class HandshakeMiddleware {
  private readonly logger = new Logger(HandshakeMiddleware.name);

  private readonly connections: ConnectionLimit;
  /** Transports already counted: a client may retry its handshake on the same one. */
  private readonly counted = new WeakSet<object>();

  constructor(
    private readonly sessions: SessionsService,
    private readonly options: TransportOptions,
  ) {
    this.connections = new ConnectionLimit(options.maxConnectionsPerAddress);
  }

  /** Arrow property so it can be passed to `server.use` as is. */
  readonly use = (
    socket: ChatSocket,
    next: (err?: ExtendedError) => void,
  ): void => {
    const { auth, address, headers } = socket.handshake;
    const client = clientAddress(
      address,
      headers['x-forwarded-for'],
      this.options.trustProxy,
    );
    if (!this.counted.has(socket.conn)) {
      if (!this.connections.tryOpen(client)) {
        next(connectError(ErrorCode.RateLimited, TOO_MANY_CONNECTIONS));
        return;
      }
      // Counted until the transport closes, whatever becomes of this handshake.
      this.counted.add(socket.conn);
      socket.conn.once('close', () => this.connections.close(client));
    }
    this.sessions.authenticate(auth, client).then(
      (result) => {
        if (!result.ok) {
          // The guide's client reacts to `invalid username`; the precise reason is additive.
          next(connectError(result.error ?? INVALID_USERNAME, result.reason));
          return;
        }
        socket.data = result.data;
        next();
      },
      (error: unknown) => {
        this.logger.error(`handshake failed: ${describeError(error)}`);
        next(connectError(ErrorCode.Unavailable, 'session store unavailable'));
      },
    );
  };
}
