import type { Message } from '@chat/contracts';
import type { MessageStore } from '../../messaging/stores/message.store';
import type {
  ConversationState,
  ConversationStateStore,
  MarkerUpdate,
} from './conversation-state.store';

/** A conversation-state store and the message store of the same backend, on the same data. */
export interface ConversationStores {
  messages: MessageStore;
  state: ConversationStateStore;
}

export interface ConversationStateContractOptions {
  /**
   * Both stores again on the same data, as after a restart (SQLite: the file reopened) or on
   * another node (Redis: the same prefix, another client). The case using it runs only if given.
   */
  reopen?: (
    stores: ConversationStores,
  ) => Promise<ConversationStores> | ConversationStores;
}

/**
 * The behaviour every `ConversationStateStore` must have, run against each implementation with
 * the message store of its backend (the spec beside each, as memory/memory-conversation-state.store.spec.ts).
 * `createStores` must return empty stores sharing their data.
 */
export function conversationStateStoreContract(
  name: string,
  createStores: () => Promise<ConversationStores> | ConversationStores,
  destroyStores: (stores: ConversationStores) => Promise<void> | void = () =>
    undefined,
  options: ConversationStateContractOptions = {},
): void {
  describe(`ConversationStateStore contract: ${name}`, () => {
    let stores: ConversationStores;
    let messages: MessageStore;
    let state: ConversationStateStore;

    beforeEach(async () => {
      stores = await createStores();
      ({ messages, state } = stores);
    });

    afterEach(async () => {
      await destroyStores(stores);
    });

    let seq = 0;
    /** Saves a message with the next id (ids increase with seq, as the server's do). */
    const send = async (from: string, to: string): Promise<Message> => {
      seq += 1;
      const message: Message = {
        id: `01JZ${String(seq).padStart(22, '0')}`,
        content: `m${seq}`,
        from,
        to,
        at: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
      };
      return messages.saveMessage(message);
    };
    const sendMany = async (from: string, to: string, count: number) => {
      const sent: Message[] = [];
      for (let i = 0; i < count; i++) sent.push(await send(from, to));
      return sent;
    };
    const update = (
      reader: string,
      peer: string,
      ids: { delivered?: Message; read?: Message },
      publicRead = true,
    ) =>
      state.updateMarkers({
        reader,
        peer,
        publicRead,
        ...(ids.delivered && { delivered: ids.delivered.id }),
        ...(ids.read && { read: ids.read.id }),
      } satisfies MarkerUpdate);
    /** findStates as a map by peer, for readable assertions. */
    const states = async (userID: string, ...peerIDs: string[]) =>
      Object.fromEntries(
        (await state.findStates(userID, peerIDs)).map(
          ({ peerID, ...rest }: ConversationState) => [peerID, rest],
        ),
      );

    it('counts every message from the peer as unread before any receipt, and leaves out peers without a conversation', async () => {
      await sendMany('alice', 'bob', 3);
      await send('bob', 'alice');
      await sendMany('alice', 'bob', 2);
      await send('carol', 'dave');
      expect(await states('bob', 'alice', 'carol', 'nobody')).toEqual({
        alice: { unread: 5 },
      });
      expect(await states('alice', 'bob')).toEqual({ bob: { unread: 1 } });
      // Only one direction has messages: still a conversation, nothing unread.
      expect(await states('carol', 'dave')).toEqual({ dave: { unread: 0 } });
      expect(await state.findStates('bob', [])).toEqual([]);
    });

    it('counts the whole history, however long', async () => {
      const sent = await sendMany('alice', 'bob', 260);
      await sendMany('bob', 'alice', 5);
      expect(await states('bob', 'alice')).toEqual({ alice: { unread: 260 } });
      expect(await update('bob', 'alice', { read: sent[9] })).toEqual({
        ok: true,
        moved: {
          delivered: sent[9].id,
          read: sent[9].id,
          publicRead: sent[9].id,
        },
        unread: 250,
      });
      expect(await states('bob', 'alice')).toEqual({
        alice: { read: sent[9].id, unread: 250 },
      });
    });

    it('moves delivered alone, then read (with delivered) and the public read marker, for both sides to see', async () => {
      const sent = await sendMany('alice', 'bob', 4);
      expect(await update('bob', 'alice', { delivered: sent[3] })).toEqual({
        ok: true,
        moved: { delivered: sent[3].id },
        unread: 4,
      });
      expect(await states('alice', 'bob')).toEqual({
        bob: { unread: 0, theirDelivered: sent[3].id },
      });
      expect(await update('bob', 'alice', { read: sent[1] })).toEqual({
        ok: true,
        // delivered was already further: it stays.
        moved: { read: sent[1].id, publicRead: sent[1].id },
        unread: 2,
      });
      expect(await states('bob', 'alice')).toEqual({
        alice: { read: sent[1].id, unread: 2 },
      });
      expect(await states('alice', 'bob')).toEqual({
        bob: {
          unread: 0,
          theirDelivered: sent[3].id,
          theirPublicRead: sent[1].id,
        },
      });
      expect(
        await update('bob', 'alice', { delivered: sent[3], read: sent[3] }),
      ).toEqual({
        ok: true,
        moved: { read: sent[3].id, publicRead: sent[3].id },
        unread: 0,
      });
    });

    it('never moves a marker back: an older id is accepted and changes nothing', async () => {
      const sent = await sendMany('alice', 'bob', 3);
      await update('bob', 'alice', { read: sent[2] });
      expect(
        await update('bob', 'alice', { delivered: sent[0], read: sent[1] }),
      ).toEqual({ ok: true, moved: {}, unread: 0 });
      expect(await update('bob', 'alice', { read: sent[2] })).toEqual({
        ok: true,
        moved: {},
        unread: 0,
      });
      expect(await states('alice', 'bob')).toEqual({
        bob: {
          unread: 0,
          theirDelivered: sent[2].id,
          theirPublicRead: sent[2].id,
        },
      });
    });

    it('moves the public read marker only with reads made while it may, never revealing earlier ones', async () => {
      const sent = await sendMany('alice', 'bob', 4);
      // Read receipts off: bob's own read marker moves, the public one does not.
      expect(await update('bob', 'alice', { read: sent[2] }, false)).toEqual({
        ok: true,
        moved: { delivered: sent[2].id, read: sent[2].id },
        unread: 1,
      });
      expect(await states('alice', 'bob')).toEqual({
        bob: { unread: 0, theirDelivered: sent[2].id },
      });
      // On again: an older read now made public goes as far as that read, no further.
      expect(await update('bob', 'alice', { read: sent[0] })).toEqual({
        ok: true,
        moved: { publicRead: sent[0].id },
        unread: 1,
      });
      expect(await update('bob', 'alice', { read: sent[3] })).toEqual({
        ok: true,
        moved: {
          delivered: sent[3].id,
          read: sent[3].id,
          publicRead: sent[3].id,
        },
        unread: 0,
      });
    });

    it('refuses an id that is not a message from the peer to the reader, applying nothing of the update', async () => {
      const fromAlice = await sendMany('alice', 'bob', 2);
      const fromBob = await send('bob', 'alice');
      const elsewhere = await send('alice', 'carol');
      const unknown = { ...fromAlice[0], id: '01JZ9999999999999999999999' };
      for (const ids of [
        { read: fromBob },
        { delivered: elsewhere },
        { read: unknown },
        // One good id does not carry a bad one.
        { delivered: fromAlice[1], read: fromBob },
        { delivered: unknown, read: fromAlice[1] },
      ])
        expect(await update('bob', 'alice', ids)).toEqual({ ok: false });
      // The right id for the wrong peer.
      expect(await update('bob', 'carol', { read: fromAlice[1] })).toEqual({
        ok: false,
      });
      expect(await states('bob', 'alice')).toEqual({ alice: { unread: 2 } });
      expect(await states('alice', 'bob')).toEqual({ bob: { unread: 1 } });
    });

    it('keeps the two readers of a conversation apart', async () => {
      const fromAlice = await sendMany('alice', 'bob', 2);
      const fromBob = await sendMany('bob', 'alice', 3);
      await update('bob', 'alice', { read: fromAlice[0] });
      await update('alice', 'bob', { delivered: fromBob[2] }, false);
      expect(await states('bob', 'alice')).toEqual({
        alice: {
          read: fromAlice[0].id,
          unread: 1,
          theirDelivered: fromBob[2].id,
        },
      });
      expect(await states('alice', 'bob')).toEqual({
        bob: {
          unread: 3,
          theirDelivered: fromAlice[0].id,
          theirPublicRead: fromAlice[0].id,
        },
      });
    });

    it('counts new messages after the read marker as they arrive', async () => {
      const first = await sendMany('alice', 'bob', 2);
      await update('bob', 'alice', { read: first[1] });
      await send('alice', 'bob');
      await send('bob', 'alice');
      await send('alice', 'bob');
      expect(await states('bob', 'alice')).toEqual({
        alice: { read: first[1].id, unread: 2 },
      });
    });

    it('applies updates made at once, whatever order they are written in', async () => {
      const sent = await sendMany('alice', 'bob', 6);
      const order = [3, 0, 5, 1, 4, 2];
      const results = await Promise.all(
        order.map((i) =>
          update(
            'bob',
            'alice',
            i % 2 ? { read: sent[i] } : { delivered: sent[i] },
          ),
        ),
      );
      expect(results.every((result) => result.ok)).toBe(true);
      expect(await states('bob', 'alice')).toEqual({
        alice: { read: sent[5].id, unread: 0 },
      });
      expect(await states('alice', 'bob')).toEqual({
        bob: {
          unread: 0,
          theirDelivered: sent[5].id,
          theirPublicRead: sent[5].id,
        },
      });
    });

    it('forgets the markers of a user, kept by them and about them, with their messages', async () => {
      const aliceToBob = await sendMany('alice', 'bob', 2);
      const bobToAlice = await send('bob', 'alice');
      const bobToCarol = await send('bob', 'carol');
      const carolToBob = await send('carol', 'bob');
      await update('bob', 'alice', { read: aliceToBob[1] });
      await update('alice', 'bob', { read: bobToAlice });
      await update('carol', 'bob', { read: bobToCarol });
      await update('bob', 'carol', { delivered: carolToBob });
      // As the pruner does: markers in steps, the messages, the markers once more.
      const deleteMarkers = async () => {
        for (let calls = 0; calls < 20; calls++)
          if (await state.deleteUserMarkers('alice', 1)) return;
        throw new Error('deleteUserMarkers never finished');
      };
      await deleteMarkers();
      while (!(await messages.deleteUserMessages('alice', 100)));
      await deleteMarkers();
      expect(await state.deleteUserMarkers('alice', 1)).toBe(true);
      expect(await states('bob', 'alice', 'carol')).toEqual({
        carol: {
          unread: 1,
          theirDelivered: bobToCarol.id,
          theirPublicRead: bobToCarol.id,
        },
      });
      expect(await states('carol', 'bob')).toEqual({
        bob: { read: bobToCarol.id, unread: 0, theirDelivered: carolToBob.id },
      });
      // Nothing of the old markers comes back with a new conversation between the same users.
      await send('alice', 'bob');
      expect(await states('bob', 'alice')).toEqual({ alice: { unread: 1 } });
      expect(await states('alice', 'bob')).toEqual({ bob: { unread: 0 } });
      // The deleted messages cannot be named any more.
      expect(await update('bob', 'alice', { read: aliceToBob[0] })).toEqual({
        ok: false,
      });
    });

    if (options.reopen) {
      const reopen = options.reopen;
      it('keeps markers and unread counts durably (reopened, or read from another node)', async () => {
        const sent = await sendMany('alice', 'bob', 3);
        await update('bob', 'alice', { delivered: sent[2], read: sent[0] });
        const again = await reopen(stores);
        const seen = Object.fromEntries(
          (await again.state.findStates('bob', ['alice'])).map(
            ({ peerID, ...rest }) => [peerID, rest],
          ),
        );
        expect(seen).toEqual({ alice: { read: sent[0].id, unread: 2 } });
        expect(
          await again.state.updateMarkers({
            reader: 'bob',
            peer: 'alice',
            read: sent[1].id,
            publicRead: true,
          }),
        ).toEqual({
          ok: true,
          moved: { read: sent[1].id, publicRead: sent[1].id },
          unread: 1,
        });
        stores = again;
      });
    }
  });
}
