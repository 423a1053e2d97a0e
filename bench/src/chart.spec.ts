import { escapeXml, formatValue, niceTicks, renderChart } from './chart';
import {
  chartPanels,
  type JoinsRun,
  summarize,
  type TargetSummary,
} from './run';
import type { LoadResult } from './load';

/** A made-up load result: only the fields the chart reads matter. */
function result(cpu: number, rate: number, p99: number): LoadResult {
  return {
    serverCpuMicrosPerMessage: cpu,
    messagesPerSecond: rate,
    latencyMs: {
      p50: p99 / 4,
      p90: p99 / 2,
      p99,
      p99AfterFirstSecond: p99 / 2,
      max: p99 * 2,
      mean: p99 / 3,
    },
  } as LoadResult;
}

function summary(
  target: TargetSummary['target'],
  name: string,
  runs: LoadResult[],
): TargetSummary {
  return summarize(
    runs.map((result, i) => ({ target, name, round: i + 1, result })),
    (r) => r.serverCpuMicrosPerMessage,
  )[0];
}

describe('chart', () => {
  const throughput: TargetSummary[] = [
    summary('reference', 'reference', [
      result(12, 78_000, 3),
      result(13, 75_000, 4),
    ]),
    summary('sqlite', 'product (sqlite)', [result(10.5, 81_000, 2.5)]),
    summarize(
      [
        {
          target: 'redis',
          name: 'product (redis, 2 nodes)',
          round: 1,
          error: 'no redis-server',
        },
      ],
      (r) => r.serverCpuMicrosPerMessage,
    )[0],
  ];
  const joins: JoinsRun[] = [
    {
      target: 'reference',
      name: 'reference',
      mode: 'guide',
      clients: 1000,
      result: {
        ended: 'complete',
        secondsToAllCorrect: 6.2,
        elapsedSeconds: 6.2,
      } as JoinsRun['result'],
    },
    {
      target: 'reference',
      name: 'reference',
      mode: 'guide',
      clients: 10000,
      result: {
        ended: 'timeout',
        secondsToAllCorrect: null,
        elapsedSeconds: 90,
      } as JoinsRun['result'],
    },
  ];

  it('renders a standalone SVG with every server, its figure, the reference line and the goals', () => {
    const svg = renderChart({
      title: 'Bench <1>',
      subtitle: 'a & b',
      panels: chartPanels(throughput, throughput.slice(0, 2), 10_000, joins),
    });

    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(
      true,
    );
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Bench &lt;1&gt;');
    expect(svg).toContain('a &amp; b');
    expect(svg).toContain('fill="#ffffff"');
    for (const text of [
      'Server CPU per delivered message',
      'Throughput, closed loop',
      'p99 latency at an offered 10000 msg/s',
      'Joins: until every presence view is correct',
      'product (sqlite)',
      'product (redis, 2 nodes)',
      '>10.5<',
      '>81.0k<',
      'stroke-dasharray="5 3"', // the reference's median
      '10 ms',
      '25 ms',
      '60 s',
      'stroke-dasharray="2 2"', // a row's goal
      'timeout after 90 s',
      'failed',
    ]) {
      expect(svg).toContain(text);
    }
    // Nothing unrenderable leaks into the coordinates.
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    expect(svg).not.toContain('<script');
  });

  it('cuts bars beyond the axis cap, keeping their exact figure', () => {
    const svg = renderChart({
      title: 'capped',
      panels: [
        {
          title: 'p99',
          unit: 'ms',
          axisCap: 250,
          rows: [
            {
              name: 'a',
              isReference: true,
              value: { median: 5, min: 4, max: 6 },
            },
            {
              name: 'b',
              isReference: false,
              value: { median: 12_700, min: 8900, max: 15_900 },
            },
          ],
        },
      ],
    });
    expect(svg).toContain('>12.7k<');
    expect(svg).toContain('stroke="#ffffff" stroke-width="2"'); // the cut mark
    // No bar or whisker reaches past the plot's right edge (210 + 420).
    const shapes = svg.match(/<(rect|line) [^>]*>/g) ?? [];
    const ends = shapes.flatMap((shape) =>
      [...shape.matchAll(/\bx[12]?="([\d.]+)"/g)].map((m) => Number(m[1])),
    );
    expect(Math.max(...ends)).toBeLessThanOrEqual(630);
  });

  it('renders an empty benchmark without failing', () => {
    const svg = renderChart({
      title: 'nothing ran',
      panels: chartPanels([], [], 0, []),
    });
    expect(svg).toContain('nothing ran');
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('formats values and axes', () => {
    expect(formatValue(75_321)).toBe('75.3k');
    expect(formatValue(123_456)).toBe('123k');
    expect(formatValue(12.34)).toBe('12.3');
    expect(formatValue(0.5)).toBe('0.50');
    expect(formatValue(NaN)).toBe('–');
    expect(niceTicks(83)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });
});
