import {
  lowerBound,
  type MemoryMessageStore,
} from '../../../messaging/stores/memory/memory-message.store';
import {
  advanceMarkers,
  ConversationStateStore,
  definedOnly,
  type ConversationState,
  type MarkerUpdate,
  type MarkerUpdateResult,
  type Markers,
} from '../conversation-state.store';

/** One key per reader and peer (userIDs hold no NUL character). */
const markerKey = (reader: string, peer: string): string =>
  `${reader}\u0000${peer}`;

/**
 * Markers of one process (`STORE=memory`), over the messages of its MemoryMessageStore: receipts
 * are checked and unread messages counted in that store's lists. Counting walks the messages after
 * the read marker: enough for memory, which holds every message anyway.
 */
export class MemoryConversationStateStore extends ConversationStateStore {
  private readonly markers = new Map<string, Markers>();

  constructor(private readonly messages: MemoryMessageStore) {
    super();
  }

  async updateMarkers(update: MarkerUpdate): Promise<MarkerUpdateResult> {
    const { reader, peer } = update;
    const list = this.messages.messagesBetween(reader, peer);
    for (const id of [update.delivered, update.read]) {
      if (id === undefined) continue;
      const message = list[lowerBound(list, id)];
      if (message?.id !== id || message.from !== peer || message.to !== reader)
        return { ok: false };
    }
    const key = markerKey(reader, peer);
    const { markers, moved } = advanceMarkers(
      this.markers.get(key) ?? {},
      update,
    );
    this.markers.set(key, markers);
    return { ok: true, moved, unread: this.unread(reader, peer, markers.read) };
  }

  async findStates(
    userID: string,
    peerIDs: readonly string[],
  ): Promise<ConversationState[]> {
    return [...new Set(peerIDs)].flatMap((peerID) => {
      if (this.messages.messagesBetween(userID, peerID).length === 0) return [];
      const mine = this.markers.get(markerKey(userID, peerID)) ?? {};
      const theirs = this.markers.get(markerKey(peerID, userID)) ?? {};
      return [
        definedOnly({
          peerID,
          read: mine.read,
          unread: this.unread(userID, peerID, mine.read),
          theirDelivered: theirs.delivered,
          theirPublicRead: theirs.publicRead,
        }),
      ];
    });
  }

  async deleteUserMarkers(userID: string, limit: number): Promise<boolean> {
    let budget = limit;
    for (const key of this.markers.keys()) {
      const [reader, peer] = key.split('\u0000');
      if (reader !== userID && peer !== userID) continue;
      if (budget <= 0) return false;
      this.markers.delete(key);
      budget -= 1;
    }
    return true;
  }

  /** Messages from `peer` to `reader` after `read` (all without it). */
  private unread(reader: string, peer: string, read: string | undefined) {
    const list = this.messages.messagesBetween(reader, peer);
    let count = 0;
    const start = read === undefined ? 0 : lowerBound(list, read);
    for (let i = start; i < list.length; i++)
      if (list[i].id !== read && list[i].from === peer && list[i].to === reader)
        count += 1;
    return count;
  }
}
