import { TurnBatch, TurnCollector } from './batching';

const endOfTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('TurnCollector', () => {
  const collect = (
    options: Partial<ConstructorParameters<typeof TurnCollector>[1]> = {},
  ) => {
    const batches: number[][] = [];
    const collector = new TurnCollector<number>(
      (batch) => batches.push(batch),
      { maxBatch: 100, flushAt: 'end-of-turn', ...options },
    );
    return { collector, batches };
  };

  it('hands over the items of one turn together, at its end, in order', async () => {
    const { collector, batches } = collect();
    collector.add(1);
    collector.add(2);
    expect(batches).toEqual([]);
    expect(collector.size).toBe(2);
    await endOfTurn();
    collector.add(3);
    await endOfTurn();
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it('hands over a full batch at once, and the rest at the end of the turn', async () => {
    const { collector, batches } = collect({ maxBatch: 2 });
    for (const item of [1, 2, 3]) collector.add(item);
    expect(batches).toEqual([[1, 2]]);
    await endOfTurn();
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it('keeps a full batch for the end of the turn while it may not be handed over early', async () => {
    let early = false;
    const { collector, batches } = collect({
      maxBatch: 2,
      canFlushEarly: () => early,
    });
    for (const item of [1, 2, 3]) collector.add(item);
    expect(batches).toEqual([]);
    early = true;
    collector.add(4);
    expect(batches).toEqual([[1, 2, 3, 4]]);
    await endOfTurn();
    expect(batches).toEqual([[1, 2, 3, 4]]);
  });

  it('hands over at the next tick, before the end of the turn, if asked', async () => {
    const { collector, batches } = collect({ flushAt: 'next-tick' });
    collector.add(1);
    collector.add(2);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(batches).toEqual([[1, 2]]);
  });
});

describe('TurnBatch', () => {
  it('runs the inputs of one turn together and settles each caller with its own answer', async () => {
    const runs: string[][] = [];
    const batch = new TurnBatch<string, string>(async (inputs) => {
      runs.push(inputs);
      return inputs.map((input) =>
        input === 'bad' ? new Error('no') : input.toUpperCase(),
      );
    }, 10);
    const results = await Promise.allSettled(
      ['a', 'bad', 'c'].map((input) => batch.add(input)),
    );
    expect(runs).toEqual([['a', 'bad', 'c']]);
    expect(results).toEqual([
      { status: 'fulfilled', value: 'A' },
      { status: 'rejected', reason: new Error('no') },
      { status: 'fulfilled', value: 'C' },
    ]);
  });

  it('rejects every caller of a run that fails', async () => {
    const batch = new TurnBatch<string, string>(
      () => Promise.reject(new Error('down')),
      10,
    );
    const results = await Promise.allSettled([batch.add('a'), batch.add('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
