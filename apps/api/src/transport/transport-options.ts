/** The transport's settings from config. */
export class TransportOptions {
  /** The client address is the last X-Forwarded-For entry (TRUST_PROXY), not the peer's. */
  trustProxy = false;

  constructor(options: Partial<TransportOptions> = {}) {
    Object.assign(this, options);
  }
}
