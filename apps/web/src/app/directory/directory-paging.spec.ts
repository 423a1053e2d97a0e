import {
  ChatEvent,
  ErrorCode,
  type FetchUsersAck,
  type UserView,
} from '@chat/contracts';
import { createChat, settle } from '../testing/chat-harness';

const view = (userID: string, connected = true): UserView => ({
  userID,
  username: userID,
  connected,
  messages: [],
});

/** A connected directory whose requests the test answers, and what it holds. */
function setup() {
  const { socket, connection, directory } = createChat({
    config: { searchDebounceMs: 200, retryDelayMs: 100, maxRetryDelayMs: 400 },
  });
  connection.selectUsername('alice');
  socket.connectOk();
  const requests = socket.userFetches;
  const answer = (index: number, ack: FetchUsersAck) =>
    requests[index].ack(ack);
  const asked = () => requests.map((r) => r.payload);
  /** Everyone held: id, presence, listed. */
  const held = () =>
    directory
      .known()
      .map((person) => [person.userID, person.connected, person.listed]);
  const gone: string[] = [];
  directory.forgotten$.subscribe((userID) => gone.push(userID));
  const forget = (userID: string) =>
    socket.serverEmit(ChatEvent.UserForgotten, { userID });
  const presence = (userID: string) =>
    socket.serverEmit(ChatEvent.UserDisconnected, userID);
  /** What `users` does to the directory: the listing starts again from its first page. */
  const restart = () => directory.replay([], new Set());
  return {
    socket,
    directory,
    answer,
    asked,
    held,
    gone,
    forget,
    presence,
    restart,
  };
}

afterEach(() => jest.useRealTimers());

describe('DirectoryStore: paging', () => {
  it('reads the list page by page, one request at a time', async () => {
    const { directory, answer, asked, held, restart } = setup();
    restart();
    directory.loadMore();
    expect(asked()).toEqual([{}]);
    answer(0, { ok: true, users: [view('ua')], next: 'c1' });
    await settle();
    expect(held()).toEqual([['ua', true, true]]);
    expect(directory.view()).toMatchObject({ more: true, loading: false });
    expect(directory.hasNextPage()).toBe(true);
    directory.loadMore();
    expect(asked()).toEqual([{}, { after: 'c1' }]);
  });

  it('keeps the presence of an event that came after the request, not before', async () => {
    const { directory, answer, held, presence, restart } = setup();
    restart();
    answer(0, { ok: true, users: [view('ux')], next: 'c1' });
    await settle();
    presence('ua');
    directory.loadMore();
    presence('ub');
    answer(1, { ok: true, users: [view('ua'), view('ub')] });
    await settle();
    expect(held().filter(([id]) => id !== 'ux')).toEqual([
      ['ua', true, true],
      ['ub', false, true],
    ]);
  });

  it('ignores an answer to a request from before a restart', async () => {
    const { directory, answer, asked, held, restart } = setup();
    restart();
    restart();
    expect(asked()).toEqual([{}, {}]);
    answer(0, { ok: true, users: [view('ua')] });
    await settle();
    expect(held()).toEqual([]);
    expect(directory.view().loading).toBe(true);
  });

  it('asks the server for a search once typing pauses, and only finds what it answers', async () => {
    jest.useFakeTimers();
    const { directory, answer, asked, held } = setup();
    directory.search(' b');
    expect(directory.view()).toMatchObject({ searching: true, loading: true });
    jest.advanceTimersByTime(200);
    expect(asked()).toEqual([{ query: 'b' }]);
    answer(0, { ok: true, users: [view('ubea')] });
    await settle();
    expect(held()).toEqual([['ubea', true, false]]);
    expect([...directory.foundIDs()]).toEqual(['ubea']);
    directory.search('');
    expect(directory.foundIDs().size).toBe(0);
  });

  it('forgets a user: out of the results, of answers read before, and of look-ups', async () => {
    jest.useFakeTimers();
    const { directory, answer, asked, held, forget } = setup();
    directory.search('b');
    jest.advanceTimersByTime(200);
    answer(0, { ok: true, users: [view('ubea'), view('ubo')] });
    await settle();
    directory.lookUp(['uzoe', 'uzed']);
    forget('ubea');
    forget('uzoe');
    expect([...directory.foundIDs()]).toEqual(['ubo']);
    // The look-up was read before the deletion: zoe is left out.
    answer(1, { ok: true, users: [view('uzoe'), view('uzed')] });
    await settle();
    expect(held().map(([id]) => id)).toEqual(['ubo', 'uzed']);

    // A look-up to retry asks no more for a user forgotten meanwhile.
    directory.lookUp(['uamy', 'uann']);
    answer(2, { ok: false, error: ErrorCode.Unavailable });
    await settle();
    forget('uamy');
    jest.advanceTimersByTime(100);
    expect(asked()[3]).toEqual({ userIDs: ['uann'] });
    answer(3, { ok: true, users: [view('uann')] });
    await settle();

    // A request sent after the event: the server's answer is newer, and taken as it is.
    directory.lookUp(['uzoe']);
    answer(4, { ok: true, users: [view('uzoe')] });
    await settle();
    expect(held().map(([id]) => id)).toContain('uzoe');
  });

  it('does not end a listing on a page left empty by a forgotten user', async () => {
    const { directory, answer, asked, forget, restart } = setup();
    restart();
    answer(0, { ok: true, users: [view('ua')], next: 'c1' });
    await settle();
    directory.loadMore();
    forget('ub');
    answer(1, { ok: true, users: [view('ub')], next: 'c2' });
    await settle();
    expect(directory.view()).toMatchObject({ more: true, loading: false });
    directory.loadMore();
    expect(asked()[2]).toEqual({ after: 'c2' });
  });

  it('reports the users a look-up left out as gone, and nobody for a failed one', async () => {
    const { directory, answer, held, gone } = setup();
    directory.lookUp(['u1', 'u2', 'u3']);
    answer(0, { ok: true, users: [view('u2')] });
    await settle();
    expect(held()).toEqual([['u2', true, true]]);
    expect(gone).toEqual(['u1', 'u3']);
    directory.lookUp(['u4']);
    answer(1, { ok: false, error: ErrorCode.Unavailable });
    await settle();
    expect(gone).toHaveLength(2);
  });

  it('batches look-ups, one at a time, retried with growing delays, and waits for the link', async () => {
    jest.useFakeTimers();
    const { socket, directory, answer, asked } = setup();
    socket.drop();
    directory.lookUp(['u1']);
    expect(asked()).toEqual([]);
    socket.connectOk();
    directory.lookUp(['u2']);
    directory.lookUp(['u3']);
    expect(asked()).toEqual([{ userIDs: ['u1', 'u2'] }]);
    answer(0, { ok: false, error: ErrorCode.Unavailable });
    await settle();
    jest.advanceTimersByTime(99);
    expect(asked()).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(asked()[1]).toEqual({ userIDs: ['u1', 'u2', 'u3'] });
  });
});
