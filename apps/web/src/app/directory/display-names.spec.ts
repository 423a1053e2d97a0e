import { displayNames } from './display-names';

describe('displayNames', () => {
  it('shows a name used once as it is', () => {
    const names = displayNames([
      { userID: 'Xy12abcd', username: 'alice' },
      { userID: 'Pq34efgh', username: 'bob' },
    ]);
    expect(Object.fromEntries(names)).toEqual({
      Xy12abcd: 'alice',
      Pq34efgh: 'bob',
    });
  });

  it('adds a short suffix of the userID to every user of a shared name, whatever its case', () => {
    const names = displayNames([
      { userID: 'a1b2c3d4e5', username: 'dave' },
      { userID: 'Zz9_x8y7w6', username: 'Dave' },
      { userID: 'q-w-e-r-t-y', username: 'erin' },
    ]);
    expect(Object.fromEntries(names)).toEqual({
      a1b2c3d4e5: 'dave (#a1b2)',
      Zz9_x8y7w6: 'Dave (#Zz9_)',
      'q-w-e-r-t-y': 'erin',
    });
  });

  it('is stable: the same user keeps the same suffix whoever else is known', () => {
    const dave = { userID: 'a1b2c3d4e5', username: 'dave' };
    const first = displayNames([
      dave,
      { userID: 'k0k0k0k0', username: 'dave' },
    ]);
    const second = displayNames([
      { userID: 'm9m9m9m9', username: 'DAVE' },
      dave,
      { userID: 'n8n8n8n8', username: 'dave' },
    ]);
    expect(first.get(dave.userID)).toBe('dave (#a1b2)');
    expect(second.get(dave.userID)).toBe('dave (#a1b2)');
  });

  it('lengthens the suffix until it tells the users apart', () => {
    const names = displayNames([
      { userID: 'uDave1', username: 'dave' },
      { userID: 'uDave2', username: 'dave' },
    ]);
    expect([...names.values()]).toEqual(['dave (#uDave1)', 'dave (#uDave2)']);
  });

  it('counts compatibility forms of one name as the same name', () => {
    const names = displayNames([
      { userID: 'aaaa1111', username: 'ﬁona' },
      { userID: 'bbbb2222', username: 'FIONA' },
    ]);
    expect([...names.values()]).toEqual(['ﬁona (#aaaa)', 'FIONA (#bbbb)']);
  });
});
