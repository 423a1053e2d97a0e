import type { Message } from '@chat/contracts';
import type { MessageStore } from './message.store';

/**
 * The behaviour every `MessageStore` must have, run against each implementation
 * (see memory/memory-stores.spec.ts). `createStore` must return an empty store.
 */
export function messageStoreContract(
  name: string,
  createStore: () => Promise<MessageStore> | MessageStore,
  destroyStore: (store: MessageStore) => Promise<void> | void = () => undefined,
): void {
  describe(`MessageStore contract: ${name}`, () => {
    let store: MessageStore;

    beforeEach(async () => {
      store = await createStore();
    });

    afterEach(async () => {
      await destroyStore(store);
    });

    let seq = 0;
    const message = (
      from: string,
      to: string,
      content = `m${seq}`,
    ): Message => {
      seq += 1;
      return {
        id: `01JZ${String(seq).padStart(22, '0')}`,
        content,
        from,
        to,
        at: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
      };
    };

    it('finds no messages for a user without any', async () => {
      expect(await store.findMessagesForUser('alice')).toEqual([]);
    });

    it('gives a message to both its sender and its recipient, and to no one else', async () => {
      const m = message('alice', 'bob', 'hello');
      await store.saveMessage(m);
      expect(await store.findMessagesForUser('alice')).toEqual([m]);
      expect(await store.findMessagesForUser('bob')).toEqual([m]);
      expect(await store.findMessagesForUser('carol')).toEqual([]);
    });

    it('lists a message to self once', async () => {
      const m = message('alice', 'alice', 'note to self');
      await store.saveMessage(m);
      expect(await store.findMessagesForUser('alice')).toEqual([m]);
    });

    it('lists both directions and every conversation, oldest (smallest id) first', async () => {
      const m1 = message('alice', 'bob');
      const m2 = message('bob', 'alice');
      const m3 = message('carol', 'alice');
      const m4 = message('bob', 'carol');
      const m5 = message('alice', 'bob');
      for (const m of [m1, m2, m3, m4, m5]) await store.saveMessage(m);
      expect(await store.findMessagesForUser('alice')).toEqual([
        m1,
        m2,
        m3,
        m5,
      ]);
      expect(await store.findMessagesForUser('bob')).toEqual([m1, m2, m4, m5]);
      expect(await store.findMessagesForUser('carol')).toEqual([m3, m4]);
    });

    it('orders by id even when saves arrive out of order', async () => {
      const m1 = message('alice', 'bob');
      const m2 = message('bob', 'alice');
      const m3 = message('alice', 'bob');
      await Promise.all([
        store.saveMessage(m3),
        store.saveMessage(m1),
        store.saveMessage(m2),
      ]);
      expect(await store.findMessagesForUser('alice')).toEqual([m1, m2, m3]);
    });

    it('keeps content exactly: unicode, newlines, quotes, the longest allowed', async () => {
      const contents = [
        'Zoë 🚀 «ok»',
        'line 1\nline 2\t"quoted" \\ back',
        'x'.repeat(4000),
      ];
      const saved = contents.map((content) => message('alice', 'bob', content));
      for (const m of saved) await store.saveMessage(m);
      expect(await store.findMessagesForUser('bob')).toEqual(saved);
    });

    it('returns copies: mutating a result does not change the store', async () => {
      const m = message('alice', 'bob', 'original');
      await store.saveMessage(m);
      const [found] = await store.findMessagesForUser('alice');
      found.content = 'tampered';
      expect(await store.findMessagesForUser('bob')).toEqual([m]);
    });

    it('does not keep a reference to the saved object', async () => {
      const m = message('alice', 'bob', 'original');
      await store.saveMessage(m);
      const expected = { ...m };
      m.content = 'tampered';
      expect(await store.findMessagesForUser('alice')).toEqual([expected]);
    });
  });
}
