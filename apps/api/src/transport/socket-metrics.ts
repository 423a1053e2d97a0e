import type { Metrics } from '../metrics/metrics';
import type { ChatServer } from './chat-socket';

/**
 * The start of a `private message` event to a client on the main namespace, as socket.io hands it
 * to engine.io: an EVENT packet (2) whose first element is the event name.
 */
const PRIVATE_MESSAGE_PACKET = '2["private message",';

/** What this file uses of an engine.io socket (socket.io does not re-export its type). */
interface EngineSocket {
  on(
    event: 'packetCreate',
    listener: (packet: { data?: unknown }) => void,
  ): void;
}

/**
 * What only the socket.io server knows, counted into `metrics`: the sockets and transports open
 * (read at each scrape), and every private message written to a client transport, whichever node
 * it came from (the Redis adapter's deliveries included).
 */
export function observeServer(server: ChatServer, metrics: Metrics): void {
  metrics.countConnections({
    sockets: () => server.of('/').sockets.size,
    transports: () => server.engine.clientsCount,
  });
  server.engine.on('connection', (transport: EngineSocket) => {
    transport.on('packetCreate', (packet) => {
      if (
        typeof packet.data === 'string' &&
        packet.data.startsWith(PRIVATE_MESSAGE_PACKET)
      )
        metrics.messageDelivered();
    });
  });
}
