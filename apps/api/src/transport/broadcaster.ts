import { Injectable } from '@nestjs/common';
import { Broadcaster, type Delivery } from '../shared/broadcaster';
import type { ChatServer, ChatSocket } from './chat-socket';
import { broadcastWithPublication } from './socket.io';

/**
 * How long a publication waits for the adapter to send it on. While Redis is away the adapter
 * holds it until Redis is back (in order); the chat does not wait that long.
 */
const BROADCAST_WAIT_MS = 2000;

/** What a delivery is emitted through (socket.io's BroadcastOperator, untyped by event). */
interface Target {
  except(rooms: string[]): Target;
  emit(event: string, payload: unknown): boolean;
}

/**
 * The only place that emits to rooms: it owns the socket.io server (from the gateway's
 * `afterInit`) and applies the services' deliveries to it.
 */
@Injectable()
export class SocketIoBroadcaster extends Broadcaster {
  private server: ChatServer | undefined;

  attach(server: ChatServer): void {
    this.server = server;
  }

  /**
   * Applies the deliveries that an event of `from` caused, at once, never to `from` itself (its
   * other tabs do get them) unless a delivery says `includeSender`. The hot path: no promise,
   * nothing to wait for.
   */
  send(deliveries: readonly Delivery[], from: ChatSocket): void {
    for (const delivery of deliveries) {
      let target = (delivery.includeSender
        ? from.nsp.to(delivery.rooms)
        : from.to(delivery.rooms)) as unknown as Target;
      if (delivery.except) target = target.except(delivery.except);
      target.emit(delivery.event, delivery.payload);
    }
  }

  async publish(delivery: Delivery): Promise<void> {
    const server = this.server;
    if (!server) throw new Error('no socket.io server attached');
    const sent = broadcastWithPublication(
      server,
      delivery.rooms,
      delivery.except ?? [],
      delivery.event,
      delivery.payload,
    );
    if (!sent) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      sent,
      new Promise((resolve) => {
        timer = setTimeout(resolve, BROADCAST_WAIT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  clearRoom(room: string): void {
    this.server?.in(room).socketsLeave(room);
  }
}
