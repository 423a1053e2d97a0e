import type { SafeStorage } from '../core/web-storage';

/** localStorage key of the tab of this browser that shows one identity's chat now. */
export function visibleTabKey(userID: string): string {
  return `visibleTab:${userID}`;
}

/** How often a visible tab says so again. */
export const VISIBLE_TAB_HEARTBEAT_MS = 5_000;
/** A claim older than this is a tab that went away without saying so (closed, crashed). */
export const VISIBLE_TAB_FRESH_MS = 15_000;

interface Claim {
  tab: string;
  at: number;
}

/**
 * Which tab of this browser is on screen for an identity, kept in localStorage (shared by the
 * browser's tabs, per identity: two users in two tabs never mix): the visible tab claims it, and
 * again every VISIBLE_TAB_HEARTBEAT_MS; hidden, it lets go. A hidden tab leaves notifying to a
 * visible one: the user is looking at the chat already.
 */
export class VisibleTab {
  constructor(
    private readonly storage: SafeStorage,
    private readonly tab: string,
    private readonly now: () => number = Date.now,
  ) {}

  claim(userID: string): void {
    const claim: Claim = { tab: this.tab, at: this.now() };
    this.storage.set(visibleTabKey(userID), JSON.stringify(claim));
  }

  /** Lets go, if the claim is this tab's (another may have claimed since). */
  release(userID: string): void {
    if (this.read(userID)?.tab === this.tab)
      this.storage.remove(visibleTabKey(userID));
  }

  /** Another tab of this browser shows this identity's chat now. */
  elsewhere(userID: string): boolean {
    const claim = this.read(userID);
    return (
      claim !== undefined &&
      claim.tab !== this.tab &&
      Math.abs(this.now() - claim.at) < VISIBLE_TAB_FRESH_MS
    );
  }

  private read(userID: string): Claim | undefined {
    const raw = this.storage.get(visibleTabKey(userID));
    if (!raw) return undefined;
    try {
      const value = JSON.parse(raw) as Partial<Claim> | null;
      return typeof value?.tab === 'string' && typeof value.at === 'number'
        ? { tab: value.tab, at: value.at }
        : undefined;
    } catch {
      return undefined;
    }
  }
}

/** A random id for this tab (8 bytes, hex). */
export function newTabId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (byte) =>
    byte.toString(16).padStart(2, '0'),
  ).join('');
}
