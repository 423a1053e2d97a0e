import { Injectable, Logger } from '@nestjs/common';
import {
  ErrorCode,
  INVALID_USERNAME,
  type ConnectErrorData,
} from '@chat/contracts';
import type { ExtendedError } from 'socket.io';
import { HandshakeRefusal, Metrics } from '../metrics/metrics';
import { SessionsService } from '../sessions/sessions.service';
import { describeError } from '../shared/describe-error';
import { clientAddress } from './client-address';
import type { ChatSocket } from './chat-socket';
import { TransportOptions } from './transport-options';

/** The `connect_error` reason of a second CONNECT for this namespace on one transport. */
export const ONE_SOCKET_PER_TRANSPORT =
  'this connection already has a socket on this namespace';

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

  /**
   * Transports with a socket of this namespace, connected or in its handshake. socket.io makes a
   * socket of every CONNECT packet, so one websocket could otherwise carry any number of them past
   * the per-address limit (which counts transports: ConnectionGate).
   */
  private readonly claimed = new WeakSet<object>();

  constructor(
    private readonly sessions: SessionsService,
    private readonly options: TransportOptions,
    private readonly metrics: Metrics,
  ) {}

  /** Arrow property so it can be passed to `server.use` as is. */
  readonly use = (
    socket: ChatSocket,
    next: (err?: ExtendedError) => void,
  ): void => {
    const { auth, address, headers } = socket.handshake;
    const transport = socket.conn;
    if (this.claimed.has(transport)) {
      // No client of ours does this: it is a burst of CONNECTs. Nothing more is read from it.
      this.metrics.handshakeRefused(HandshakeRefusal.DuplicateConnect);
      next(connectError(ErrorCode.RateLimited, ONE_SOCKET_PER_TRANSPORT));
      transport.close();
      return;
    }
    this.claimed.add(transport);
    // Free again once this socket is gone: a refused client may retry on the same transport.
    const release = () => this.claimed.delete(transport);
    const client = clientAddress(
      address,
      headers['x-forwarded-for'],
      this.options.trustProxy,
    );
    this.sessions.authenticate(auth, client).then(
      (result) => {
        if (!result.ok) {
          release();
          const message = result.error ?? INVALID_USERNAME;
          this.metrics.handshakeRefused(message);
          // The guide's client reacts to `invalid username`; the precise reason is additive.
          next(connectError(message, result.reason));
          return;
        }
        socket.data = result.data;
        socket.once('disconnect', release);
        next();
      },
      (error: unknown) => {
        release();
        this.logger.error(`handshake failed: ${describeError(error)}`);
        this.metrics.handshakeRefused(ErrorCode.Unavailable);
        next(connectError(ErrorCode.Unavailable, 'session store unavailable'));
      },
    );
  };
}
