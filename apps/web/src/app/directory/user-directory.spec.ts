import {
  ErrorCode,
  type FetchUsersAck,
  type FetchUsersInput,
  type UserView,
} from '@chat/contracts';
import { UserDirectory } from './user-directory';

const view = (userID: string, connected = true): UserView => ({
  userID,
  username: userID,
  connected,
  messages: [],
});

/** Lets the directory's `.then` on an answer run. */
const settle = () => Promise.resolve();

/** A directory whose requests the test answers, and what it handed back. */
function setup() {
  const requests: {
    input: FetchUsersInput;
    answer(ack: FetchUsersAck): void;
  }[] = [];
  const merged: { ids: string[]; connected: boolean[]; listed: boolean }[] = [];
  const gone: string[][] = [];
  let connected = true;
  const directory = new UserDirectory({
    fetchUsers: (input) =>
      new Promise((answer) => requests.push({ input, answer })),
    merge: (views, listed) =>
      merged.push({
        ids: views.map((v) => v.userID),
        connected: views.map((v) => v.connected),
        listed,
      }),
    gone: (ids) => gone.push([...ids]),
    isConnected: () => connected,
    config: { searchDebounceMs: 200, retryDelayMs: 100, maxRetryDelayMs: 400 },
  });
  const asked = () => requests.map((r) => r.input);
  const setConnected = (value: boolean) => (connected = value);
  return { directory, requests, asked, merged, gone, setConnected };
}

afterEach(() => jest.useRealTimers());

describe('UserDirectory', () => {
  it('reads the list page by page, one request at a time', async () => {
    const { directory, requests, asked, merged } = setup();
    directory.restart();
    directory.loadMore();
    expect(asked()).toEqual([{}]);
    requests[0].answer({ ok: true, users: [view('ua')], next: 'c1' });
    await settle();
    expect(merged).toEqual([{ ids: ['ua'], connected: [true], listed: true }]);
    expect(directory.view()).toMatchObject({ more: true, loading: false });
    expect(directory.hasNextPage()).toBe(true);
    directory.loadMore();
    expect(asked()).toEqual([{}, { after: 'c1' }]);
  });

  it('keeps the presence of an event that came after the request, not before', async () => {
    const { directory, requests, merged } = setup();
    directory.restart();
    requests[0].answer({ ok: true, users: [view('ux')], next: 'c1' });
    await settle();
    directory.notePresence('ua', false);
    directory.loadMore();
    directory.notePresence('ub', false);
    requests[1].answer({ ok: true, users: [view('ua'), view('ub')] });
    await settle();
    expect(merged[1].connected).toEqual([true, false]);
  });

  it('ignores an answer to a request from before a restart', async () => {
    const { directory, requests, asked, merged } = setup();
    directory.restart();
    directory.restart();
    expect(asked()).toEqual([{}, {}]);
    requests[0].answer({ ok: true, users: [view('ua')] });
    await settle();
    expect(merged).toEqual([]);
    expect(directory.view().loading).toBe(true);
  });

  it('asks the server for a search once typing pauses, and only finds what it answers', async () => {
    jest.useFakeTimers();
    const { directory, requests, asked, merged } = setup();
    directory.search(' b');
    expect(directory.view()).toMatchObject({ searching: true, loading: true });
    jest.advanceTimersByTime(200);
    expect(asked()).toEqual([{ query: 'b' }]);
    requests[0].answer({ ok: true, users: [view('ubea')] });
    await settle();
    expect(merged).toEqual([
      { ids: ['ubea'], connected: [true], listed: false },
    ]);
    expect([...directory.foundIDs()]).toEqual(['ubea']);
    directory.search('');
    expect(directory.foundIDs().size).toBe(0);
  });

  it('forgets a user: out of the results, of answers read before, and of look-ups', async () => {
    jest.useFakeTimers();
    const { directory, requests, asked, merged } = setup();
    directory.search('b');
    jest.advanceTimersByTime(200);
    requests[0].answer({ ok: true, users: [view('ubea'), view('ubo')] });
    await settle();
    directory.lookUp(['uzoe', 'uzed']);
    directory.forgetUser('ubea');
    directory.forgetUser('uzoe');
    expect([...directory.foundIDs()]).toEqual(['ubo']);
    // The look-up was read before the deletion: zoe is left out.
    requests[1].answer({ ok: true, users: [view('uzoe'), view('uzed')] });
    await settle();
    expect(merged[1].ids).toEqual(['uzed']);

    // A look-up to retry asks no more for a user forgotten meanwhile.
    directory.lookUp(['uamy', 'uann']);
    requests[2].answer({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    directory.forgetUser('uamy');
    jest.advanceTimersByTime(100);
    expect(asked()[3]).toEqual({ userIDs: ['uann'] });
    requests[3].answer({ ok: true, users: [view('uann')] });
    await settle();

    // A request sent after the event: the server's answer is newer, and taken as it is.
    directory.lookUp(['uzoe']);
    requests[4].answer({ ok: true, users: [view('uzoe')] });
    await settle();
    expect(merged.at(-1)?.ids).toEqual(['uzoe']);
  });

  it('does not end a listing on a page left empty by a forgotten user', async () => {
    const { directory, requests, asked } = setup();
    directory.restart();
    requests[0].answer({ ok: true, users: [view('ua')], next: 'c1' });
    await settle();
    directory.loadMore();
    directory.forgetUser('ub');
    requests[1].answer({ ok: true, users: [view('ub')], next: 'c2' });
    await settle();
    expect(directory.view()).toMatchObject({ more: true, loading: false });
    directory.loadMore();
    expect(asked()[2]).toEqual({ after: 'c2' });
  });

  it('reports the users a look-up left out as gone, and nobody for a failed one', async () => {
    const { directory, requests, merged, gone } = setup();
    directory.lookUp(['u1', 'u2', 'u3']);
    requests[0].answer({ ok: true, users: [view('u2')] });
    await settle();
    expect(merged).toEqual([{ ids: ['u2'], connected: [true], listed: true }]);
    expect(gone).toEqual([['u1', 'u3']]);
    directory.lookUp(['u4']);
    requests[1].answer({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    expect(gone).toHaveLength(1);
  });

  it('batches look-ups, one at a time, retried with growing delays, and waits for the link', async () => {
    jest.useFakeTimers();
    const { directory, requests, asked, setConnected } = setup();
    setConnected(false);
    directory.lookUp(['u1']);
    expect(asked()).toEqual([]);
    setConnected(true);
    directory.lookUp(['u2']);
    directory.lookUp(['u3']);
    expect(asked()).toEqual([{ userIDs: ['u1', 'u2'] }]);
    requests[0].answer({ ok: false, error: ErrorCode.Unavailable });
    await settle();
    jest.advanceTimersByTime(99);
    expect(asked()).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(asked()[1]).toEqual({ userIDs: ['u1', 'u2', 'u3'] });
  });
});
