import { type KeyValueStorage, SafeStorage } from './web-storage';

class MemoryStorage implements KeyValueStorage {
  private readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/** What a full or denied storage does: every call throws. */
const throwing: KeyValueStorage = {
  getItem: () => {
    throw new DOMException('denied', 'SecurityError');
  },
  setItem: () => {
    throw new DOMException('full', 'QuotaExceededError');
  },
  removeItem: () => {
    throw new DOMException('denied', 'SecurityError');
  },
};

describe('SafeStorage', () => {
  it('keeps, reads back and forgets a value', () => {
    const storage = new SafeStorage(new MemoryStorage());
    expect(storage.set('k', 'v')).toBe(true);
    expect(storage.get('k')).toBe('v');
    storage.remove('k');
    expect(storage.get('k')).toBeNull();
  });

  it.each([
    ['throws', throwing],
    ['is missing', null],
  ])('never throws when the storage %s: nothing is kept', (_label, raw) => {
    const storage = new SafeStorage(raw);
    expect(storage.set('k', 'v')).toBe(false);
    expect(storage.get('k')).toBeNull();
    expect(() => storage.remove('k')).not.toThrow();
  });
});
