import { DOCUMENT, InjectionToken, inject } from '@angular/core';

/** The part of the Web Storage API the app uses. */
export type KeyValueStorage = Pick<
  Storage,
  'getItem' | 'setItem' | 'removeItem'
>;

/** The browser's storage of that name, or null where it is denied (reading the property can throw). */
function browserStorage(
  name: 'localStorage' | 'sessionStorage',
): KeyValueStorage | null {
  try {
    return inject(DOCUMENT).defaultView?.[name] ?? null;
  } catch {
    return null;
  }
}

/** This origin's `localStorage`: the session, the username and read marks (shared by all tabs). */
export const LOCAL_STORAGE = new InjectionToken<KeyValueStorage | null>(
  'LocalStorage',
  { providedIn: 'root', factory: () => browserStorage('localStorage') },
);

/** This tab's `sessionStorage`: kept across reloads of the tab only (the pending sends). */
export const SESSION_STORAGE = new InjectionToken<KeyValueStorage | null>(
  'SessionStorage',
  { providedIn: 'root', factory: () => browserStorage('sessionStorage') },
);

/**
 * A storage that never throws: a missing one, a full one or a denied one (privacy modes) only
 * means that nothing is kept, and the app works on as if it had never been stored.
 */
export class SafeStorage {
  constructor(private readonly storage: KeyValueStorage | null) {}

  get(key: string): string | null {
    try {
      return this.storage?.getItem(key) ?? null;
    } catch {
      return null;
    }
  }

  /** False if it was not stored. */
  set(key: string, value: string): boolean {
    try {
      this.storage?.setItem(key, value);
      return this.storage !== null;
    } catch {
      return false;
    }
  }

  remove(key: string): void {
    try {
      this.storage?.removeItem(key);
    } catch {
      // nothing stored to forget
    }
  }
}
