import type { IncomingMessage } from 'node:http';
import { HandshakeRefusal, type Metrics } from '../metrics/metrics';
import { clientAddress } from '../transport/client-address';
import { ConnectionLimit } from '../transport/connection-limit';
import { isAllowedOrigin } from './origin-policy';

/** The body of the HTTP 403 answering a handshake over MAX_CONNECTIONS_PER_ADDRESS. */
export const TOO_MANY_CONNECTIONS =
  'too many connections from this address, try again later';
/** The body of the HTTP 403 answering a handshake from another site's page. */
export const FORBIDDEN_ORIGIN = 'origin not allowed';

export interface ConnectionGateOptions {
  /** Open Engine.IO connections (transports) per client address (MAX_CONNECTIONS_PER_ADDRESS). */
  maxPerAddress: number;
  /** The client address is the last X-Forwarded-For entry (TRUST_PROXY). */
  trustProxy: boolean;
  /** Origins allowed besides the page's own (CORS_ORIGIN). */
  allowedOrigins: readonly string[];
}

/** What this file uses of an Engine.IO server and its sockets (socket.io does not export them). */
interface EngineServer {
  on(
    event: 'connection',
    listener: (socket: {
      request: IncomingMessage;
      once(event: 'close', listener: () => void): void;
    }) => void,
  ): void;
}

type AllowRequestCallback = (
  error: string | null | undefined,
  success: boolean,
) => void;

/**
 * The first gate of every connection, before any Socket.IO session exists: Engine.IO's
 * `allowRequest`, which sees each handshake (long-polling's first request, or a websocket upgrade
 * without a session).
 *
 * - The `Origin` policy (`isAllowedOrigin`): another site's page cannot open connections from the
 *   user's browser (spending the address's budgets, creating users). Polling was already held by
 *   CORS, but the websocket upgrade is not subject to CORS at all.
 * - MAX_CONNECTIONS_PER_ADDRESS counts every Engine.IO connection from its handshake until it
 *   closes, whether or not it ever sends CONNECT; the one beyond is refused before it costs
 *   anything. With one socket per transport and namespace (HandshakeMiddleware), that bounds the
 *   sockets an address holds too.
 *
 * Refusals are HTTP 403 with the reason as the body (`{ code: 4, message }` from Engine.IO); a
 * browser's socket.io-client treats them as a transport error and retries with its back-off.
 */
export class ConnectionGate {
  private readonly open: ConnectionLimit;

  constructor(
    private readonly options: ConnectionGateOptions,
    private readonly metrics: Metrics,
  ) {
    this.open = new ConnectionLimit(options.maxPerAddress);
  }

  /** Engine.IO's `allowRequest` server option. */
  readonly allowRequest = (
    req: IncomingMessage,
    callback: AllowRequestCallback,
  ): void => {
    const { allowedOrigins, trustProxy, maxPerAddress } = this.options;
    if (!isAllowedOrigin(req, allowedOrigins, trustProxy)) {
      this.metrics.handshakeRefused(HandshakeRefusal.Origin);
      return callback(FORBIDDEN_ORIGIN, false);
    }
    // Counted once the connection exists (`attach`); Engine.IO creates it within this same turn.
    if (this.open.count(this.addressOf(req)) >= maxPerAddress) {
      this.metrics.handshakeRefused(HandshakeRefusal.Connections);
      return callback(TOO_MANY_CONNECTIONS, false);
    }
    callback(null, true);
  };

  /** Counts each Engine.IO connection of `engine` against its address until it closes. */
  attach(engine: EngineServer): void {
    engine.on('connection', (socket) => {
      const address = this.addressOf(socket.request);
      // Never refused here: allowRequest did, and a count over the limit must still be undone.
      this.open.add(address);
      socket.once('close', () => this.open.close(address));
    });
  }

  /** Connections open from the address of `req`, as counted against the limit. */
  countFor(req: Pick<IncomingMessage, 'headers' | 'socket'>): number {
    return this.open.count(this.addressOf(req));
  }

  private addressOf(req: Pick<IncomingMessage, 'headers' | 'socket'>): string {
    return clientAddress(
      req.socket.remoteAddress ?? '',
      req.headers['x-forwarded-for'],
      this.options.trustProxy,
    );
  }
}
