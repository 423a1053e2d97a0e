import {
  DIRECTORY_PAGE_SIZE,
  ErrorCode,
  type FetchUsersAck,
  type UserView,
} from '@chat/contracts';
import {
  ClientPool,
  eventually,
  say,
  startServer,
  type ConnectedUser,
  type TestServer,
} from '../testing/chat-test-kit';

const paged = (username: string) => ({ username, directory: 'paged' });

const names = (users: readonly UserView[]) => users.map((u) => u.username);

const okUsers = (ack: FetchUsersAck) => {
  if (!ack.ok) throw new Error(`refused: ${ack.error}`);
  return ack;
};

/** Whether `client` received any presence event about `userID`. */
const heardOf = (user: ConnectedUser, userID: string) =>
  user.client.received.some(
    (r) =>
      (r.event === 'user connected' &&
        (r.payload as UserView).userID === userID) ||
      (r.event === 'user disconnected' && r.payload === userID),
  );

// The paged directory (auth.directory = 'paged') against the real app; guide clients unchanged.
describe('ChatGateway: paged directory', () => {
  let server: TestServer;
  const pool = new ClientPool(() => server.url);

  beforeEach(async () => {
    server = await startServer();
  });

  afterEach(async () => {
    expect(pool.allReceived.filter((r) => r.event === 'exception')).toEqual([]);
    pool.closeAll();
    await server.app.close();
  });

  it('sends a paged client only itself and its conversations, then pages by name', async () => {
    const bob = await pool.connect({ username: 'bob' });
    const carol = await pool.connect({ username: 'Carol' });
    await pool.connect({ username: 'al' });
    await pool.connect({ username: 'Dave' });
    const eve = await pool.connect(paged('eve'));
    expect(names(eve.users)).toEqual(['eve']);
    await say(bob, eve, 'hi eve');

    // Reconnecting with the session: yourself first, then the conversation, with its messages.
    eve.client.close();
    const again = await pool.connect({
      sessionID: eve.session.sessionID,
      directory: 'paged',
    });
    expect(names(again.users)).toEqual(['eve', 'bob']);
    expect(again.users[1].messages.map((m) => m.content)).toEqual(['hi eve']);

    const first = okUsers(await again.client.fetchUsers({ limit: 2 }));
    expect(names(first.users)).toEqual(['al', 'bob']);
    expect(
      first.users.every((u) => u.connected && u.messages.length === 0),
    ).toBe(true);
    expect(first.next).toEqual(expect.any(String));
    const second = okUsers(
      await again.client.fetchUsers({ limit: 2, after: first.next }),
    );
    expect(names(second.users)).toEqual(['Carol', 'Dave']);
    const last = okUsers(
      await again.client.fetchUsers({ limit: 2, after: second.next }),
    );
    expect(names(last.users)).toEqual(['eve']);
    expect(last.next).toBeUndefined();
    expect(last.users[0].connected).toBe(true);

    // Presence is live: carol went away.
    carol.client.close();
    await eventually(
      () => heardOf(again, carol.session.userID),
      'carol announced',
    );
    const byId = okUsers(
      await again.client.fetchUsers({
        userIDs: [carol.session.userID, 'nobody', carol.session.userID],
      }),
    );
    expect(byId.users).toEqual([
      {
        userID: carol.session.userID,
        username: 'Carol',
        connected: false,
        messages: [],
        lastSeen: expect.any(String),
      },
    ]);
  });

  it('finds users by name prefix, case-insensitive', async () => {
    for (const username of ['Alice', 'alan', 'bob', 'ALBERT'])
      await pool.connect({ username });
    const me = await pool.connect(paged('zed'));
    const found = okUsers(await me.client.fetchUsers({ query: ' AL ' }));
    expect(names(found.users)).toEqual(['alan', 'ALBERT', 'Alice']);
    expect(found.next).toBeUndefined();
    const paging = okUsers(
      await me.client.fetchUsers({ query: 'al', limit: 2 }),
    );
    expect(names(paging.users)).toEqual(['alan', 'ALBERT']);
    expect(
      names(
        okUsers(
          await me.client.fetchUsers({
            query: 'al',
            limit: 2,
            after: paging.next,
          }),
        ).users,
      ),
    ).toEqual(['Alice']);
  });

  it('tells a paged client only about the users it was given', async () => {
    const observer = await pool.connect({ username: 'observer' }); // guide client
    const ann = await pool.connect({ username: 'ann' });
    const bea = await pool.connect({ username: 'bea' });
    const cy = await pool.connect({ username: 'cy' });
    const me = await pool.connect(paged('me'));
    // A partial first page: ann and bea are watched, cy is not, nor is anyone new.
    const page = okUsers(await me.client.fetchUsers({ limit: 2 }));
    expect(names(page.users)).toEqual(['ann', 'bea']);

    cy.client.close();
    const newcomer = await pool.connect({ username: 'newcomer' });
    await observer.client.waitFor(
      'user disconnected',
      (id) => id === cy.session.userID,
    );
    await observer.client.waitFor(
      'user connected',
      (u) => u.userID === newcomer.session.userID,
    );
    // Positive control: a watched user's departure arrives, after the unwatched ones happened.
    ann.client.close();
    await me.client.waitFor(
      'user disconnected',
      (id) => id === ann.session.userID,
    );
    expect(heardOf(me, cy.session.userID)).toBe(false);
    expect(heardOf(me, newcomer.session.userID)).toBe(false);
    // Guide clients still hear about everyone, paged ones included.
    await observer.client.waitFor(
      'user connected',
      (u) => u.userID === me.session.userID,
    );
    expect(heardOf(bea, me.session.userID)).toBe(true);
  });

  it('tells a paged client about everyone when its first page was the whole directory', async () => {
    await pool.connect({ username: 'ann' });
    const me = await pool.connect(paged('me'));
    const page = okUsers(await me.client.fetchUsers({}));
    expect(names(page.users)).toEqual(['ann', 'me']);
    expect(page.next).toBeUndefined();
    const newcomer = await pool.connect({ username: 'newcomer' });
    await me.client.waitFor(
      'user connected',
      (u) => u.userID === newcomer.session.userID,
    );
    newcomer.client.close();
    await me.client.waitFor(
      'user disconnected',
      (id) => id === newcomer.session.userID,
    );
  });

  it('watches conversation partners from the start', async () => {
    const bob = await pool.connect({ username: 'bob' });
    const first = await pool.connect(paged('eve'));
    await say(bob, first, 'hello');
    first.client.close();
    const eve = await pool.connect({
      sessionID: first.session.sessionID,
      directory: 'paged',
    });
    bob.client.close();
    await eve.client.waitFor(
      'user disconnected',
      (id) => id === bob.session.userID,
    );
  });

  it('pages the default size, and refuses bad payloads with an error', async () => {
    for (let i = 0; i < DIRECTORY_PAGE_SIZE + 2; i++)
      await pool.connect({ username: `user ${String(i).padStart(2, '0')}` });
    const me = await pool.connect(paged('me'));
    const first = okUsers(await me.client.fetchUsers({}));
    expect(first.users).toHaveLength(DIRECTORY_PAGE_SIZE);
    expect(first.next).toBeDefined();
    for (const payload of [
      undefined,
      'users',
      { limit: 0 },
      { query: 7 },
      { userIDs: [] },
    ])
      expect(await me.client.fetchUsers(payload)).toEqual({
        ok: false,
        error: ErrorCode.InvalidPayload,
      });
    // The socket still works.
    expect(
      okUsers(await me.client.fetchUsers({ query: 'me' })).users,
    ).toHaveLength(1);
  });
});
