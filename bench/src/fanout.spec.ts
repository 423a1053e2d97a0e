import { fanoutTable, type FanoutRun } from './fanout';

const run = (nodes: number, round: number, idle: number[]): FanoutRun => ({
  nodes,
  round,
  result: {
    nodes,
    messagesPerSecond: 10_000 + round,
    delivered: 100_000,
    lost: 0,
    busyMicrosPerMessage: 40 + round,
    idleMicrosPerMessage: idle,
    idleBaselineMsPerSecond: idle.map(() => 2),
    p99Ms: 20,
  },
});

describe('the fan-out table', () => {
  it('has a row per node count: medians over the rounds, every idle node of every run in the idle figure, the goal on its median', () => {
    const lines = fanoutTable([
      run(3, 1, [0.2, 0.4]),
      run(5, 1, [0.3, 0.5, 0.6, 0.7]),
      run(3, 2, [0.3, 3]),
      { nodes: 5, round: 2, error: 'boom' },
    ]).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe(
      '| 3 | 2 | 10002 | 41.5 | 0.35 (0.20–3.00) | met | 2.0 | 20.0 | 0 |',
    );
    expect(lines[3]).toBe(
      '| 5 | 1 (+1 failed) | 10001 | 41.0 | 0.55 (0.30–0.70) | met | 2.0 | 20.0 | 0 |',
    );
  });
});
