import type { PrivateMessageAck } from '@chat/contracts';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
} from 'prom-client';

/** How a refused handshake is counted: the `connect_error` message, or why the transport was refused. */
export const HandshakeRefusal = {
  /** `Origin` neither the page's own nor in CORS_ORIGIN (HTTP 403 before any session). */
  Origin: 'forbidden origin',
  /** MAX_CONNECTIONS_PER_ADDRESS reached (HTTP 403 before any session). */
  Connections: 'too many connections',
  /** A second CONNECT for the same namespace on one transport (the transport is closed). */
  DuplicateConnect: 'duplicate connect',
} as const;

/** Latency buckets (seconds) of a store write: group commits take about a millisecond. */
const STORE_WRITE_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];
/** Buckets (seconds) of the age of a Redis stream entry when a node reads it. */
/** What the connection gauges read at each scrape: the transport's own counts on this node. */
export interface ConnectionCounts {
  /** Sockets connected to the chat (handshakes accepted). */
  sockets(): number;
  /** Engine.IO connections open, including those that have not sent CONNECT yet. */
  transports(): number;
}

/**
 * The api's Prometheus metrics, in a registry of its own (not prom-client's global one: several
 * apps in one test process never collide). Exposed only on METRICS_PORT (MetricsServer); counting
 * costs a few nanoseconds whether or not anyone scrapes.
 */
export class Metrics {
  readonly registry = new Registry();

  private readonly handshakesRefused = new Counter({
    name: 'chat_handshakes_refused_total',
    help: 'Handshakes refused, by reason (the connect_error message, or why the transport was refused)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly messagesStored = new Counter({
    name: 'chat_messages_stored_total',
    help: 'Private messages stored (resends of a stored clientMessageId not counted)',
    registers: [this.registry],
  });
  private readonly messagesDelivered = new Counter({
    name: 'chat_messages_delivered_total',
    help: 'Private messages written to client transports on this node (one per receiving tab)',
    registers: [this.registry],
  });
  private readonly messageResults = new Counter({
    name: 'chat_message_acks_total',
    help: 'Outcomes of private messages, acknowledged or not: ok, or the error code',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly storeWrites = new Histogram({
    name: 'chat_store_write_seconds',
    help: 'Time from a message save to the store confirming it (durable for that store)',
    buckets: STORE_WRITE_BUCKETS,
    registers: [this.registry],
  });
  private readonly socketsResynced = new Counter({
    name: 'chat_resynced_sockets_total',
    help: 'Sockets sent `users` again after this node may have missed broadcasts (its Redis subscriber reconnected)',
    registers: [this.registry],
  });
  private connections: ConnectionCounts | undefined;

  constructor() {
    const connections = () => this.connections;
    new Gauge({
      name: 'chat_connected_sockets',
      help: 'Sockets connected to the chat on this node (handshakes accepted)',
      registers: [this.registry],
      collect() {
        this.set(connections()?.sockets() ?? 0);
      },
    });
    new Gauge({
      name: 'chat_transports',
      help: 'Engine.IO connections open on this node, including those that have not sent CONNECT yet',
      registers: [this.registry],
      collect() {
        this.set(connections()?.transports() ?? 0);
      },
    });
  }

  /** Process metrics (CPU, memory, GC, event-loop lag): only once someone will scrape them. */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Where the connection gauges read from at each scrape (the transport, once it has a server). */
  countConnections(counts: ConnectionCounts): void {
    this.connections = counts;
  }

  /** One private message written to a client transport on this node. */
  messageDelivered(): void {
    this.messagesDelivered.inc();
  }

  handshakeRefused(reason: string): void {
    this.handshakesRefused.inc({ reason });
  }

  /** The outcome of one `private message`, whether or not the client asked for an ack. */
  messageResult(response: PrivateMessageAck): void {
    this.messageResults.inc({ result: response.ok ? 'ok' : response.error });
  }

  /**
   * Times a message save; counts the message as stored if the store kept `message` itself (not an
   * earlier one under the same clientMessageId). Resolves or rejects as `save` does.
   */
  async timeMessageSave<T extends { id: string }>(
    message: T,
    save: Promise<T>,
  ): Promise<T> {
    const end = this.storeWrites.startTimer();
    try {
      const stored = await save;
      if (stored.id === message.id) this.messagesStored.inc();
      return stored;
    } finally {
      end();
    }
  }

  /** A socket re-synced from the stores (Resync). */
  socketResynced(): void {
    this.socketsResynced.inc();
  }

  /** The scrape: the Prometheus text format. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
