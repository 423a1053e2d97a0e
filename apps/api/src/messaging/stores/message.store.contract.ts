import type { Message } from '@chat/contracts';
import type { MessageStore } from './message.store';

/** What a store can do beyond the contract, for the cases that need it. */
export interface MessageStoreContractOptions {
  /**
   * Another store on the same data, as after a restart (SQLite: the file closed and opened again)
   * or on another node (Redis: the same prefix). The cases using it run only if given.
   */
  reopen?: (store: MessageStore) => Promise<MessageStore> | MessageStore;
  /**
   * The `clientMessageId`s of deleted messages are not forgotten with them, but expire (Redis):
   * a repeat after the deletion is still answered with the deleted message, and stores nothing.
   */
  clientMessageIdsExpire?: boolean;
}

/**
 * The behaviour every `MessageStore` must have, run against each implementation
 * (the spec beside each, as memory/memory-message.store.spec.ts). `createStore` must return an empty store.
 */
export function messageStoreContract(
  name: string,
  createStore: () => Promise<MessageStore> | MessageStore,
  destroyStore: (store: MessageStore) => Promise<void> | void = () => undefined,
  options: MessageStoreContractOptions = {},
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
    // Ids in the server's shape (26 Crockford base32 digits), increasing with seq.
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
    const saveAll = async (messages: Message[]) => {
      for (const m of messages) await store.saveMessage(m);
    };
    /** findRecentConversations as a map peerID → { contents, hasMore }, for readable assertions. */
    const recent = async (userID: string, limit = 50) =>
      Object.fromEntries(
        (await store.findRecentConversations(userID, limit)).map((c) => [
          c.peerID,
          { contents: c.messages.map((m) => m.content), hasMore: c.hasMore },
        ]),
      );
    const AFTER_ALL = '7ZZZZZZZZZZZZZZZZZZZZZZZZZ';

    describe('recent conversations', () => {
      it('finds none for a user without messages', async () => {
        expect(await store.findRecentConversations('alice', 10)).toEqual([]);
      });

      it('gives a message to both its sender and its recipient, and to no one else', async () => {
        const m = message('alice', 'bob', 'hello');
        await store.saveMessage(m);
        expect(await store.findRecentConversations('alice', 10)).toEqual([
          { peerID: 'bob', messages: [m], hasMore: false },
        ]);
        expect(await store.findRecentConversations('bob', 10)).toEqual([
          { peerID: 'alice', messages: [m], hasMore: false },
        ]);
        expect(await store.findRecentConversations('carol', 10)).toEqual([]);
      });

      it('lists a message to self once, as the conversation with self', async () => {
        const m = message('alice', 'alice', 'note to self');
        await store.saveMessage(m);
        expect(await store.findRecentConversations('alice', 10)).toEqual([
          { peerID: 'alice', messages: [m], hasMore: false },
        ]);
      });

      it('groups both directions per conversation, oldest (smallest id) first', async () => {
        await saveAll([
          message('alice', 'bob', 'a1'),
          message('bob', 'alice', 'b1'),
          message('carol', 'alice', 'c1'),
          message('bob', 'carol', 'b2'),
          message('alice', 'bob', 'a2'),
        ]);
        expect(await recent('alice')).toEqual({
          bob: { contents: ['a1', 'b1', 'a2'], hasMore: false },
          carol: { contents: ['c1'], hasMore: false },
        });
        expect(await recent('bob')).toEqual({
          alice: { contents: ['a1', 'b1', 'a2'], hasMore: false },
          carol: { contents: ['b2'], hasMore: false },
        });
        expect(await recent('carol')).toEqual({
          alice: { contents: ['c1'], hasMore: false },
          bob: { contents: ['b2'], hasMore: false },
        });
      });

      it('keeps only the last `limit` of each conversation, saying whether there are more', async () => {
        await saveAll([
          ...['1', '2', '3', '4', '5'].map((n) => message('alice', 'bob', n)),
          message('carol', 'alice', 'c1'),
          message('alice', 'carol', 'c2'),
          message('alice', 'carol', 'c3'),
        ]);
        expect(await recent('alice', 3)).toEqual({
          bob: { contents: ['3', '4', '5'], hasMore: true },
          carol: { contents: ['c1', 'c2', 'c3'], hasMore: false },
        });
        expect(await recent('bob', 1)).toEqual({
          alice: { contents: ['5'], hasMore: true },
        });
        expect(await recent('bob', 5)).toEqual({
          alice: { contents: ['1', '2', '3', '4', '5'], hasMore: false },
        });
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
        expect(await store.findRecentConversations('alice', 10)).toEqual([
          { peerID: 'bob', messages: [m1, m2, m3], hasMore: false },
        ]);
        expect(await store.findRecentConversations('alice', 2)).toEqual([
          { peerID: 'bob', messages: [m2, m3], hasMore: true },
        ]);
      });

      it('keeps content exactly: unicode, newlines, quotes, the longest allowed', async () => {
        const contents = [
          'Zoë 🚀 «ok»',
          'line 1\nline 2\t"quoted" \\ back',
          "it's; DROP TABLE messages; --",
          'x'.repeat(4000),
        ];
        const saved = contents.map((content) =>
          message('alice', 'bob', content),
        );
        await saveAll(saved);
        expect(await store.findRecentConversations('bob', 10)).toEqual([
          { peerID: 'alice', messages: saved, hasMore: false },
        ]);
      });

      it('returns copies: mutating a result does not change the store', async () => {
        const m = message('alice', 'bob', 'original');
        await store.saveMessage(m);
        const [found] = await store.findRecentConversations('alice', 10);
        found.messages[0].content = 'tampered';
        expect(
          (await store.findRecentConversations('bob', 10))[0].messages,
        ).toEqual([m]);
      });

      it('does not keep a reference to the saved object', async () => {
        const m = message('alice', 'bob', 'original');
        await store.saveMessage(m);
        const expected = { ...m };
        m.content = 'tampered';
        expect(
          (await store.findRecentConversations('alice', 10))[0].messages,
        ).toEqual([expected]);
      });

      it('handles many concurrent saves across conversations', async () => {
        const users = ['u0', 'u1', 'u2', 'u3'];
        const all = Array.from({ length: 200 }, (_, i) =>
          message(users[i % 4], users[(i * 7 + 1) % 4]),
        );
        await Promise.all(all.map((m) => store.saveMessage(m)));
        const conversations = await store.findRecentConversations('u0', 1000);
        const expected = (peer: string) =>
          all.filter(
            (m) =>
              (m.from === 'u0' && m.to === peer) ||
              (m.from === peer && m.to === 'u0'),
          );
        expect(conversations.length).toBeGreaterThan(0);
        for (const c of conversations) {
          expect(c.messages).toEqual(expected(c.peerID));
          expect(c.hasMore).toBe(false);
        }
      });
    });

    describe('messages before a cursor', () => {
      let thread: Message[];

      beforeEach(async () => {
        thread = [];
        for (let i = 0; i < 7; i++)
          thread.push(
            i % 2 === 0
              ? message('alice', 'bob', `ab${i}`)
              : message('bob', 'alice', `ba${i}`),
          );
        await saveAll([
          ...thread,
          message('bob', 'carol', 'not yours'),
          message('carol', 'carol', 'self'),
        ]);
      });

      it('gives the page strictly before the id, oldest first, and whether older ones exist', async () => {
        expect(
          await store.findMessagesBefore('alice', 'bob', thread[5].id, 2),
        ).toEqual({ messages: [thread[3], thread[4]], hasMore: true });
        expect(
          await store.findMessagesBefore('alice', 'bob', thread[2].id, 2),
        ).toEqual({ messages: [thread[0], thread[1]], hasMore: false });
        expect(
          await store.findMessagesBefore('alice', 'bob', thread[0].id, 2),
        ).toEqual({ messages: [], hasMore: false });
      });

      it('is the same conversation from either side', async () => {
        const fromBob = await store.findMessagesBefore(
          'bob',
          'alice',
          AFTER_ALL,
          3,
        );
        expect(fromBob).toEqual({ messages: thread.slice(4), hasMore: true });
        expect(
          await store.findMessagesBefore('alice', 'bob', AFTER_ALL, 3),
        ).toEqual(fromBob);
      });

      it('pages back to the beginning with no gaps or duplicates', async () => {
        const pages: Message[][] = [];
        let before = AFTER_ALL;
        for (;;) {
          const page = await store.findMessagesBefore(
            'bob',
            'alice',
            before,
            3,
          );
          pages.unshift(page.messages);
          if (!page.hasMore) break;
          before = page.messages[0].id;
        }
        expect(pages.map((p) => p.length)).toEqual([1, 3, 3]);
        expect(pages.flat()).toEqual(thread);
      });

      it('accepts any cursor, not only stored ids', async () => {
        // Just above thread[3]'s id: thread[3] is included.
        const cursor = `${thread[3].id}0`;
        expect(
          await store.findMessagesBefore('alice', 'bob', cursor, 1),
        ).toEqual({ messages: [thread[3]], hasMore: true });
        expect(await store.findMessagesBefore('alice', 'bob', '', 5)).toEqual({
          messages: [],
          hasMore: false,
        });
      });

      it("reads only the pair's own conversation: never another pair's", async () => {
        expect(
          await store.findMessagesBefore('carol', 'alice', AFTER_ALL, 100),
        ).toEqual({ messages: [], hasMore: false });
        expect(
          (await store.findMessagesBefore('carol', 'bob', AFTER_ALL, 100))
            .messages,
        ).toMatchObject([{ content: 'not yours' }]);
        expect(
          (await store.findMessagesBefore('carol', 'carol', AFTER_ALL, 100))
            .messages,
        ).toMatchObject([{ content: 'self' }]);
        expect(
          await store.findMessagesBefore('mallory', 'nobody', AFTER_ALL, 100),
        ).toEqual({ messages: [], hasMore: false });
      });

      it('returns copies', async () => {
        const page = await store.findMessagesBefore(
          'alice',
          'bob',
          AFTER_ALL,
          1,
        );
        page.messages[0].content = 'tampered';
        expect(
          (await store.findMessagesBefore('alice', 'bob', AFTER_ALL, 1))
            .messages,
        ).toEqual([thread[6]]);
      });
    });

    describe('forgetting a user', () => {
      it('deletes every conversation of the user, in bounded steps, and nothing else', async () => {
        const kept = [
          message('bob', 'carol', 'kept'),
          message('carol', 'carol', 'kept too'),
        ];
        await saveAll([
          ...Array.from({ length: 5 }, () => message('alice', 'bob')),
          message('alice', 'alice', 'self'),
          kept[0],
          ...Array.from({ length: 4 }, () => message('carol', 'alice')),
          kept[1],
        ]);
        let calls = 0;
        while (!(await store.deleteUserMessages('alice', 3))) {
          calls += 1;
          if (calls > 20) throw new Error('deleteUserMessages never finished');
        }
        // 10 messages and 3 conversations, about 3 rows a call: several calls.
        expect(calls).toBeGreaterThanOrEqual(3);
        expect(await store.findRecentConversations('alice', 10)).toEqual([]);
        expect(await recent('bob')).toEqual({
          carol: { contents: ['kept'], hasMore: false },
        });
        expect(await recent('carol')).toEqual({
          bob: { contents: ['kept'], hasMore: false },
          carol: { contents: ['kept too'], hasMore: false },
        });
        expect(
          await store.findMessagesBefore('bob', 'alice', AFTER_ALL, 10),
        ).toEqual({ messages: [], hasMore: false });
        expect(await store.deleteUserMessages('alice', 3)).toBe(true);
      });

      it('starts a conversation afresh when one of its users writes again', async () => {
        await saveAll([message('alice', 'bob', 'before')]);
        while (!(await store.deleteUserMessages('alice', 100)));
        await saveAll([message('bob', 'alice', 'after')]);
        expect(await recent('alice')).toEqual({
          bob: { contents: ['after'], hasMore: false },
        });
        expect(await recent('bob')).toEqual({
          alice: { contents: ['after'], hasMore: false },
        });
      });

      it('is done at once for a user without messages', async () => {
        expect(await store.deleteUserMessages('nobody', 10)).toBe(true);
      });
    });

    describe('saving again with a clientMessageId', () => {
      const conversation = async (a: string, b: string) =>
        (await store.findMessagesBefore(a, b, AFTER_ALL, 100)).messages;
      /** A message sent with that `clientMessageId`. */
      const keyed = (
        clientMessageId: string,
        from: string,
        to: string,
        content?: string,
      ): Message => ({ ...message(from, to, content), clientMessageId });

      it('stores a message once per sender and key: a later repeat resolves with the first', async () => {
        const first = keyed('k-1', 'alice', 'bob', 'hi');
        expect(await store.saveMessage(first)).toEqual(first);
        const again = keyed('k-1', 'alice', 'bob', 'hi');
        const stored = await store.saveMessage(again);
        expect(stored).toEqual(first);
        expect(await conversation('alice', 'bob')).toEqual([first]);
        expect(await recent('bob')).toEqual({
          alice: { contents: ['hi'], hasMore: false },
        });
        // The repeat's id was never stored.
        expect(await store.findLatestMessageID()).toBe(first.id);
        // A copy: changing it changes nothing stored.
        stored.content = 'tampered';
        expect(await store.saveMessage(keyed('k-1', 'alice', 'bob'))).toEqual(
          first,
        );
      });

      it('gives the key back with the message on every read, and no such property without one', async () => {
        const withKey = keyed('k-read', 'alice', 'bob', 'with');
        const without = message('bob', 'alice', 'without');
        expect(await store.saveMessage(withKey)).toEqual(withKey);
        expect(await store.saveMessage(without)).toEqual(without);
        const reads = [
          (await store.findRecentConversations('alice', 10))[0].messages,
          (await store.findRecentConversations('bob', 10))[0].messages,
          await conversation('alice', 'bob'),
          await conversation('bob', 'alice'),
        ];
        for (const read of reads) {
          expect(read).toEqual([withKey, without]);
          expect(read[0].clientMessageId).toBe('k-read');
          expect('clientMessageId' in read[1]).toBe(false);
        }
        // The answer to a repeat carries it too.
        const repeat = await store.saveMessage(keyed('k-read', 'alice', 'bob'));
        expect(repeat).toEqual(withKey);
        expect(repeat.clientMessageId).toBe('k-read');
      });

      it('stores one of several saves with the same key at once, and resolves all with it', async () => {
        const [a, b, c] = [
          keyed('same', 'alice', 'bob', 'once'),
          keyed('same', 'alice', 'bob', 'once'),
          keyed('same', 'alice', 'bob', 'once'),
        ];
        const unkeyed = message('alice', 'bob', 'no key');
        const results = await Promise.all([
          store.saveMessage(a),
          store.saveMessage(b),
          store.saveMessage(unkeyed),
          store.saveMessage(c),
        ]);
        expect(results).toEqual([a, a, unkeyed, a]);
        expect(await conversation('bob', 'alice')).toEqual([a, unkeyed]);
        expect(await store.findLatestMessageID()).toBe(unkeyed.id);
      });

      it('answers a repeat with other content or another recipient with the original, and stores nothing of it', async () => {
        const first = keyed('key', 'alice', 'bob', 'original');
        await store.saveMessage(first);
        const changed = keyed('key', 'alice', 'carol', 'changed');
        expect(await store.saveMessage(changed)).toEqual(first);
        expect(await store.findRecentConversations('carol', 10)).toEqual([]);
        expect(await recent('alice')).toEqual({
          bob: { contents: ['original'], hasMore: false },
        });
        expect(await store.findLatestMessageID()).toBe(first.id);
      });

      it("keeps each sender's keys apart", async () => {
        const fromAlice = keyed('shared', 'alice', 'bob', 'from alice');
        const fromBob = keyed('shared', 'bob', 'alice', 'from bob');
        const fromCarol = keyed('shared', 'carol', 'bob', 'from carol');
        expect(await store.saveMessage(fromAlice)).toEqual(fromAlice);
        expect(await store.saveMessage(fromBob)).toEqual(fromBob);
        expect(await store.saveMessage(fromCarol)).toEqual(fromCarol);
        expect(await conversation('alice', 'bob')).toEqual([
          fromAlice,
          fromBob,
        ]);
        expect(await conversation('bob', 'carol')).toEqual([fromCarol]);
      });

      it('stores every save without a key, even of the same content, and after a keyed one', async () => {
        const first = keyed('k', 'alice', 'bob', 'same');
        const plain = [
          message('alice', 'bob', 'same'),
          message('alice', 'bob', 'same'),
        ];
        await store.saveMessage(first);
        for (const m of plain) expect(await store.saveMessage(m)).toEqual(m);
        expect(await conversation('alice', 'bob')).toEqual([first, ...plain]);
      });

      if (options.clientMessageIdsExpire)
        it("keeps a deleted message's key until it expires: a repeat stores nothing", async () => {
          const first = keyed('k', 'alice', 'bob', 'before');
          await store.saveMessage(first);
          while (!(await store.deleteUserMessages('bob', 100)));
          expect(
            await store.saveMessage(keyed('k', 'alice', 'bob', 'again')),
          ).toEqual(first);
          expect(await store.findRecentConversations('alice', 10)).toEqual([]);
        });
      else
        it('forgets the keys of deleted messages, whoever sent them', async () => {
          await store.saveMessage(keyed('k', 'alice', 'bob', 'a1'));
          await store.saveMessage(keyed('k', 'carol', 'alice', 'c1'));
          const kept = keyed('k2', 'carol', 'bob', 'kept');
          await store.saveMessage(kept);
          while (!(await store.deleteUserMessages('alice', 1)));
          const [a2, c2] = [
            keyed('k', 'alice', 'bob', 'a2'),
            keyed('k', 'carol', 'alice', 'c2'),
          ];
          expect(await store.saveMessage(a2)).toEqual(a2);
          expect(await store.saveMessage(c2)).toEqual(c2);
          expect(await recent('alice')).toEqual({
            bob: { contents: ['a2'], hasMore: false },
            carol: { contents: ['c2'], hasMore: false },
          });
          // Other messages keep theirs.
          expect(
            await store.saveMessage(keyed('k2', 'carol', 'bob', 'again')),
          ).toEqual(kept);
        });

      const { reopen } = options;
      if (reopen)
        it('remembers the keys in another store on the same data (restart, other node)', async () => {
          const first = keyed('k', 'alice', 'bob', 'hi');
          await store.saveMessage(first);
          const other = await reopen(store);
          expect(await other.saveMessage(keyed('k', 'alice', 'bob'))).toEqual(
            first,
          );
          const fresh = keyed('k2', 'alice', 'bob', 'new key');
          expect(await other.saveMessage(fresh)).toEqual(fresh);
          expect(
            (await other.findMessagesBefore('bob', 'alice', AFTER_ALL, 10))
              .messages,
          ).toEqual([first, fresh]);
          expect(await other.findLatestMessageID()).toBe(fresh.id);
        });
    });

    describe('latest message id', () => {
      it('is undefined for an empty store', async () => {
        expect(await store.findLatestMessageID()).toBeUndefined();
      });

      it('is the greatest id ever saved, whatever the save order, also after deletions', async () => {
        const [m1, m2, m3] = [
          message('alice', 'bob'),
          message('carol', 'dave'),
          message('bob', 'alice'),
        ];
        await Promise.all([
          store.saveMessage(m3),
          store.saveMessage(m1),
          store.saveMessage(m2),
        ]);
        expect(await store.findLatestMessageID()).toBe(m3.id);
        while (!(await store.deleteUserMessages('alice', 100)));
        expect(await store.findLatestMessageID()).toBe(m3.id);
      });
    });
  });
}
