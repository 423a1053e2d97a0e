import { Injectable, Logger } from '@nestjs/common';
import {
  ErrorCode,
  INVALID_USERNAME,
  type ConnectErrorData,
} from '@chat/contracts';
import type { ExtendedError } from 'socket.io';
import { ChatOptions, ChatService, describeError } from './chat.service';
import { clientAddress } from './client-address';
import type { ChatSocket } from './chat.types';

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

  constructor(
    private readonly chat: ChatService,
    private readonly options: ChatOptions,
  ) {}

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
    this.chat.authenticate(auth, client).then(
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
