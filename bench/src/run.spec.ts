import type { JoinsResult } from './joins';
import type { LoadResult } from './load';
import {
  alignTables,
  embedInReadme,
  joinsPlan,
  joinsTable,
  latencyTable,
  markdownTable,
  README_END,
  receiptRatios,
  README_START,
  summarize,
  type TargetResult,
} from './run';

const load = (cpu: number, rate: number) =>
  ({
    serverCpuMicrosPerMessage: cpu,
    messagesPerSecond: rate,
    latencyMs: {
      p50: 1,
      p90: 2,
      p99: 3,
      p99AfterFirstSecond: 2.5,
      max: 4,
      mean: 1,
    },
  }) as LoadResult;

describe('the runner', () => {
  it('reports the median run per target with the min–max over its runs, in first-run order', () => {
    const runs: TargetResult[] = [
      {
        target: 'reference',
        name: 'reference',
        round: 1,
        result: load(12, 70_000),
      },
      {
        target: 'sqlite',
        name: 'product (sqlite)',
        round: 1,
        result: load(9, 80_000),
      },
      {
        target: 'reference',
        name: 'reference',
        round: 2,
        result: load(14, 60_000),
      },
      { target: 'sqlite', name: 'product (sqlite)', round: 2, error: 'boom' },
      {
        target: 'reference',
        name: 'reference',
        round: 3,
        result: load(11, 75_000),
      },
      {
        target: 'sqlite',
        name: 'product (sqlite)',
        round: 3,
        result: load(10, 78_000),
      },
    ];

    const [reference, sqlite] = summarize(
      runs,
      (r) => r.serverCpuMicrosPerMessage,
    );

    expect(reference.median?.serverCpuMicrosPerMessage).toBe(12);
    expect(reference.spread.serverCpuMicrosPerMessage).toEqual([11, 14]);
    expect(reference.spread.messagesPerSecond).toEqual([60_000, 75_000]);
    expect(reference.failedRuns).toBe(0);
    // Each figure's own median: the median-CPU run is not the median-throughput one.
    expect(reference.medians).toEqual({
      serverCpuMicrosPerMessage: 12,
      messagesPerSecond: 70_000,
      p99Ms: 3,
    });
    // Two good runs: the lower middle.
    expect(sqlite.median?.serverCpuMicrosPerMessage).toBe(9);
    expect(sqlite).toMatchObject({ runs: 3, failedRuns: 1, error: 'boom' });
  });

  it('tabulates latency with the p99 after the first second beside the whole run, the goal on the latter, ratios to the reference', () => {
    const slower = load(25, 10_000);
    const [reference, sqlite, redis] = summarize(
      [
        {
          target: 'reference',
          name: 'reference',
          round: 1,
          result: load(10, 10_000),
        },
        {
          target: 'sqlite',
          name: 'product (sqlite)',
          round: 1,
          result: { ...slower, latencyMs: { ...slower.latencyMs, p99: 12 } },
        },
        {
          target: 'redis',
          name: 'product (redis, 2 nodes)',
          round: 1,
          error: 'no Redis',
        },
      ],
      (r) => r.latencyMs.p99,
    );
    const lines = latencyTable([reference, sqlite, redis], 10_000).split('\n');
    expect(lines[0]).toContain(
      '| p99 min–max | p99 after 1 s, ms | max ms | server CPU µs/msg |',
    );
    expect(lines[2]).toContain(
      '| 3.0 (1.00×) | 3.0–3.0 | 2.5 | 4.0 | 10.0 (1.00×) |',
    );
    expect(lines[3]).toContain(
      '| 12.0 (4.00×) | 12.0–12.0 | 2.5 | 4.0 | 25.0 (2.50×) |',
    );
    expect(lines[3]).toContain('≤ 10 ms: **missed**');
    expect(lines[2]).toContain('≤ 10 ms: (met)');
    // A failed run keeps the table's shape: as many cells as the header.
    const cells = (line: string) => line.split('|').length;
    expect(lines.map(cells)).toEqual(lines.map(() => cells(lines[0])));
  });

  it('keeps the runs with receipts apart, with a receipts column and the CPU ratio to the same target without', () => {
    const withReceipts = (cpu: number, sent: number) => ({
      ...load(cpu, 40_000),
      durationSeconds: 2,
      receipts: { sent, answers: { ok: sent - 1, none: 1 } },
    });
    const runs: TargetResult[] = [1, 2, 3].flatMap((round) => [
      {
        target: 'reference' as const,
        name: 'reference',
        round,
        result: load(14, 60_000),
      },
      {
        target: 'sqlite' as const,
        name: 'product (sqlite)',
        round,
        result: load(20 + round, 40_000),
      },
      {
        target: 'sqlite' as const,
        name: 'product (sqlite), receipts',
        round,
        receipts: true,
        result: withReceipts(22 + round, 400),
      },
    ]);
    const summaries = summarize(runs, (r) => r.serverCpuMicrosPerMessage);
    expect(summaries.map((s) => [s.name, s.receipts ?? false])).toEqual([
      ['reference', false],
      ['product (sqlite)', false],
      ['product (sqlite), receipts', true],
    ]);
    const lines = markdownTable(summaries).split('\n');
    expect(lines[0]).toMatch(/\| receipts\/s \|$/);
    expect(lines[4]).toMatch(/\| 200 \(1 not ok\) \|$/);
    expect(lines[3]).toMatch(/\| – \|$/);
    expect(receiptRatios(summaries, runs)).toEqual([
      '- product (sqlite): server CPU per message with receipts 24.0 µs, without 22.0 µs: 1.09× (per round 1.10, 1.09, 1.09; goal ≤ 1.3×)',
    ]);
  });

  it('plans the joins: the reference and paged product at every size, the guide-mode product up to 1000', () => {
    expect(joinsPlan([1000, 10_000])).toEqual([
      { target: 'reference', mode: 'guide', clients: 1000 },
      { target: 'reference', mode: 'guide', clients: 10_000 },
      { target: 'sqlite', mode: 'paged', clients: 1000 },
      { target: 'sqlite', mode: 'paged', clients: 10_000 },
      { target: 'sqlite', mode: 'guide', clients: 1000 },
    ]);
  });

  it('tabulates joins, with the CPU ratio only where both sizes completed', () => {
    const joins = (clients: number, cpu: number, ended: JoinsResult['ended']) =>
      ({
        clients,
        ended,
        serverCpuSeconds: cpu,
        secondsToAllCorrect: ended === 'complete' ? 1 : null,
        serverRssBeforeMiB: 50,
        serverRssAfterMiB: 60,
        serverPeakRssMiB: 60,
        kibPerIdleConnection: 10,
        presenceEvents: 1,
        listedUsers: 1,
        clientCpuSeconds: 1,
        clientPeakRssMiB: 100,
        error: ended === 'complete' ? undefined : 'timed out | badly',
      }) as JoinsResult;
    const table = joinsTable([
      {
        target: 'reference',
        name: 'reference',
        mode: 'guide',
        clients: 1000,
        result: joins(1000, 5, 'complete'),
      },
      {
        target: 'reference',
        name: 'reference',
        mode: 'guide',
        clients: 10_000,
        result: joins(10_000, 40, 'timeout'),
      },
      {
        target: 'sqlite',
        name: 'product (sqlite)',
        mode: 'paged',
        clients: 1000,
        result: joins(1000, 2, 'complete'),
      },
      {
        target: 'sqlite',
        name: 'product (sqlite)',
        mode: 'paged',
        clients: 10_000,
        result: joins(10_000, 16, 'complete'),
      },
    ]);

    expect(table).toContain('timeout: timed out / badly');
    expect(table).toContain(
      'reference, guide mode: CPU(10000) / CPU(1000) = – (10000 clients did not complete)',
    );
    expect(table).toContain(
      'product (sqlite), paged mode: CPU(10000) / CPU(1000) = 8.0× (10× the users)',
    );
  });

  it('replaces only the text between the README markers', () => {
    const readme = `# Title\n\n## Benchmark\n\n${README_START}\nold\n${README_END}\n\n## After\n`;

    expect(embedInReadme(readme, '#### Throughput\n\n| a |\n')).toBe(
      `# Title\n\n## Benchmark\n\n${README_START}\n\n#### Throughput\n\n| a |\n\n${README_END}\n\n## After\n`,
    );
    expect(embedInReadme('# no markers\n', 'x')).toBeUndefined();
  });

  it('pads Markdown tables the way Prettier does, leaving other lines alone', () => {
    expect(
      alignTables(
        'text | not a table\n\n| a | bb |\n| --- | --- |\n| µs× | c |\n',
      ),
    ).toBe(
      'text | not a table\n\n| a   | bb  |\n| --- | --- |\n| µs× | c   |\n',
    );
  });
});
