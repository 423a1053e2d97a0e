import type { Redis } from 'ioredis';

/** What pacing needs of a client's socket (a `net.Socket`, or a `tls.TLSSocket`). */
export interface PausableStream {
  on(event: 'data', listener: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

/**
 * Lets `stream` deliver one read per turn of the event loop: after each chunk it pauses, and
 * resumes once the I/O already waiting (clients' sockets, other Redis replies) had its turn. What
 * arrives meanwhile waits in the socket's buffers, then in the kernel's and Redis's.
 */
export function oneReadPerTurn(stream: PausableStream): void {
  // A paused stream emits no 'data': one resume is pending at a time.
  stream.on('data', () => {
    stream.pause();
    setImmediate(() => stream.resume());
  });
}

/**
 * Paces a subscriber's reads (oneReadPerTurn), on every connection it makes. Pub/sub pushes
 * whatever was published while the node was busy: Node reads a socket until it is empty (up to
 * 32 reads of 64 KiB in one go) and ioredis hands every message in them over at once, so a node
 * would deliver them all before it reads its own clients' messages again.
 */
export function paceReads(client: Redis): void {
  // 'connect' comes with each new socket, before ioredis reads from it.
  client.on('connect', () => oneReadPerTurn(client.stream));
}
