import type { UserView } from '@chat/contracts';
import type { Person } from './directory.models';
import { compareUsers, mergePeople } from './people';

const held = (
  userID: string,
  username: string,
  overrides: Partial<Person> = {},
): Person => ({
  userID,
  username,
  self: false,
  connected: false,
  placeholder: false,
  listed: true,
  ...overrides,
});
const view = (
  userID: string,
  username: string,
  connected = true,
): UserView => ({
  userID,
  username,
  connected,
  messages: [],
});
const options = { selfID: 'uself', selfConnected: true, listed: true };

describe('people', () => {
  it('orders self first, then by name, then by id', () => {
    const users = [
      held('u2', 'bob'),
      held('u3', 'Ann'),
      held('u1', 'bob'),
      held('uself', 'zed', { self: true }),
    ];
    expect([...users].sort(compareUsers).map((u) => u.userID)).toEqual([
      'uself',
      'u3',
      'u1',
      'u2',
    ]);
  });

  it('renames and updates presence, and appends new users', () => {
    const users = [held('ubob', 'bob')];
    const merged = mergePeople(
      users,
      [view('ubob', 'Bobby'), view('uann', 'ann', false)],
      options,
    );
    expect(merged).toEqual([
      { ...users[0], username: 'Bobby', connected: true },
      held('uann', 'ann'),
    ]);
  });

  it('names a stand-in, and takes our own presence from our socket', () => {
    const merged = mergePeople(
      [held('uzoe', '', { placeholder: true })],
      [view('uzoe', 'zoe'), view('uself', 'me', false)],
      options,
    );
    expect(
      merged.map((u) => [u.username, u.placeholder, u.self, u.connected]),
    ).toEqual([
      ['zoe', false, false, true],
      ['me', false, true, true],
    ]);
  });

  it('lists found users only when asked to, and never unlists one', () => {
    const merged = mergePeople(
      [held('ubob', 'bob')],
      [view('ubob', 'bob'), view('ubea', 'bea')],
      { ...options, listed: false },
    );
    expect(merged.map((u) => u.listed)).toEqual([true, false]);
  });
});
