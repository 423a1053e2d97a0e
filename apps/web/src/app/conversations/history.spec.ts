import type { ChatMessage } from './conversation.models';
import {
  mergeMessages,
  mergeReplay,
  newestStoredId,
  oldestStoredId,
} from './history';
import { chatMessage } from '../testing/chat-fixtures';

const m = (id: string, pending = false): ChatMessage =>
  chatMessage(id, false, { id, pending });
const ids = (messages: readonly ChatMessage[]) => messages.map((x) => x.id);

describe('history', () => {
  it('finds the oldest and newest stored ids, past pending sends', () => {
    const messages = [m('m1'), m('m2'), m('pending-1', true)];
    expect(oldestStoredId(messages)).toBe('m1');
    expect(newestStoredId(messages)).toBe('m2');
    expect(newestStoredId([m('pending-1', true)])).toBeUndefined();
  });

  it('merges by id, in id order, pending last, and keeps the array when nothing is new', () => {
    const current = [m('m2'), m('pending-1', true)];
    expect(ids(mergeMessages(current, [m('m3'), m('m1'), m('m2')]))).toEqual([
      'm1',
      'm2',
      'm3',
      'pending-1',
    ]);
    expect(mergeMessages(current, [m('m2')])).toBe(current);
  });

  describe('a replay', () => {
    it('is the whole history the first time', () => {
      expect(mergeReplay(undefined, [m('m5'), m('m6')], true)).toEqual({
        messages: [m('m5'), m('m6')].map((x) => expect.objectContaining(x)),
        hasMoreMessages: true,
      });
    });

    it('keeps older pages held, and their "more"', () => {
      const previous = {
        messages: [m('m1'), m('m2'), m('m5'), m('m6')],
        hasMoreMessages: false,
      };
      const merged = mergeReplay(previous, [m('m5'), m('m6'), m('m7')], true);
      expect(ids(merged.messages)).toEqual(['m1', 'm2', 'm5', 'm6', 'm7']);
      expect(merged.hasMoreMessages).toBe(false);
    });

    it('takes the replay\'s "more" when it reaches as far back', () => {
      const previous = { messages: [m('m5')], hasMoreMessages: true };
      expect(mergeReplay(previous, [m('m5')], false).hasMoreMessages).toBe(
        false,
      );
      expect(
        mergeReplay({ messages: [], hasMoreMessages: false }, [m('m5')], true)
          .hasMoreMessages,
      ).toBe(true);
    });

    it('returns the same messages when it brings nothing new', () => {
      const previous = { messages: [m('m5')], hasMoreMessages: true };
      expect(mergeReplay(previous, [m('m5')], true).messages).toBe(
        previous.messages,
      );
    });

    it('starts over when it may leave a hole after what is held', () => {
      const previous = {
        messages: [m('m1'), m('m2'), m('pending-1', true)],
        hasMoreMessages: false,
      };
      const merged = mergeReplay(previous, [m('m8'), m('m9')], true);
      expect(ids(merged.messages)).toEqual(['m8', 'm9', 'pending-1']);
      expect(merged.hasMoreMessages).toBe(true);
      // Without "more" the replay is everything there is: no hole possible.
      expect(
        ids(mergeReplay(previous, [m('m8'), m('m9')], false).messages),
      ).toEqual(['m1', 'm2', 'm8', 'm9', 'pending-1']);
    });
  });
});
