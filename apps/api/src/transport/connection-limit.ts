/**
 * Open connections per client address in this process, up to `max`: what one address may hold of
 * this process's memory (every connection keeps its socket, rooms and buffers). Per process on
 * purpose: that memory is the process's own.
 */
export class ConnectionLimit {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts one more connection from `address`; false, counting nothing, at the maximum. */
  tryOpen(address: string): boolean {
    const count = this.open.get(address) ?? 0;
    if (count >= this.max) return false;
    this.open.set(address, count + 1);
    return true;
  }

  /** Counts one more connection from `address`, even over the maximum (its close undoes it). */
  add(address: string): void {
    this.open.set(address, (this.open.get(address) ?? 0) + 1);
  }

  /** One connection from `address` closed. */
  close(address: string): void {
    const count = this.open.get(address) ?? 0;
    if (count <= 1) this.open.delete(address);
    else this.open.set(address, count - 1);
  }

  /** Connections from `address` now open. */
  count(address: string): number {
    return this.open.get(address) ?? 0;
  }
}
