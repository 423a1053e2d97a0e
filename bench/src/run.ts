/**
 * The benchmark, four scenarios in one run:
 *
 * 1. throughput: the same closed-loop load against the reference server (raw socket.io, the guide's
 *    design) and the built product (SQLite, memory, two nodes on Redis, two nodes on PostgreSQL + Redis), the targets in turn
 *    `--repeat` times (reference, sqlite, memory, redis, reference, sqlite, …); the median run per
 *    target is reported, with the spread (min–max) over the runs;
 * 2. latency: paced at `--latency-rate` messages/s (the issue's 10k), reference, sqlite and Redis
 *    (two nodes), also repeated and alternated;
 * 3. joins: `--joins` clients connecting to one node (see joins.ts), the reference and the product
 *    on SQLite in guide and in paged mode;
 * 4. fan-out: `--fanout-nodes` api nodes on one Redis, every client on the first (see fanout.ts):
 *    what the idle nodes spend per message.
 *
 * Writes bench/results/latest.json, latest.md (tables, ratios to the reference) and latest.svg (the
 * chart), and prints the Markdown.
 *
 *   npm run bench [-- --pairs=50 --messages=2000 --payload=64 --rate=0 --window=32 --warmup=200
 *                     --targets=reference,sqlite,memory,redis,postgres --repeat=3 --timeout=120 --stall=10 --acks --receipts
 *                     --latency-rate=10000 --latency-messages=1000 --latency-targets=reference,sqlite,redis
 *                     --joins=1000,10000 --joins-concurrency=200 --joins-timeout=90
 *                     --fanout-nodes=3,5 --scenarios=throughput,latency,joins,fanout --readme]
 *
 * `--readme` also replaces the results in README.md's Benchmark section (between its markers).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { workspaceRoot } from '@nx/devkit';
import { type ChartPanel, PALETTE, renderChart, type Stat } from './chart';
import {
  DEFAULT_FANOUT_NODES,
  fanoutTable,
  type FanoutRun,
  runFanout,
} from './fanout';
import {
  DEFAULT_JOINS,
  type DirectoryMode,
  type JoinsResult,
  runJoins,
} from './joins';
import {
  DEFAULT_LOAD,
  type LoadOptions,
  type LoadResult,
  RECEIPT_INTERVAL_MS,
  runLoad,
} from './load';
import {
  startTarget,
  stopWithin,
  TARGET_NAMES,
  type TargetName,
} from './servers';

export interface TargetResult {
  target: TargetName;
  name: string;
  /** 1-based round of the repeated runs. */
  round: number;
  /** The receivers sent receipts as the web app does (`--receipts`). */
  receipts?: boolean;
  result?: LoadResult;
  error?: string;
}

/** One target over the repeated runs: the median run and the spread. */
export interface TargetSummary {
  target: TargetName;
  name: string;
  receipts?: boolean;
  runs: number;
  failedRuns: number;
  /** The median run by the scenario's key (CPU µs/msg, or p99 latency); absent if every run failed. */
  median?: LoadResult;
  /** Each figure's own median over the runs (NaN if every run failed). */
  medians: {
    serverCpuMicrosPerMessage: number;
    messagesPerSecond: number;
    p99Ms: number;
  };
  spread: {
    serverCpuMicrosPerMessage: [number, number];
    messagesPerSecond: [number, number];
    p99Ms: [number, number];
  };
  /** The first failure, if any run failed. */
  error?: string;
}

export interface JoinsRun {
  target: 'reference' | 'sqlite';
  name: string;
  mode: DirectoryMode;
  clients: number;
  result?: JoinsResult;
  error?: string;
}

export const SCENARIOS = ['throughput', 'latency', 'joins', 'fanout'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** The issue's latency goals at an offered 10k messages/s. */
export const LATENCY_GOAL_MS = { oneNode: 10, twoNodes: 25 };
/** The issue's joins goal: every view correct within this long, at 10k users. */
export const JOINS_GOAL_SECONDS = 60;

/** One run of `load` against a fresh `target`, after a short closed-loop warm-up. */
export async function runOne(
  target: TargetName,
  load: LoadOptions,
  warmupMessages: number,
  round: number,
  log: (line: string) => void = console.log,
): Promise<TargetResult> {
  let name: string = target;
  const receipts = load.receipts ? { receipts: true } : {};
  try {
    const server = await startTarget(target);
    name = server.name + (load.receipts ? ', receipts' : '');
    try {
      if (warmupMessages > 0) {
        await runLoad(server.urls, server.pids, {
          ...load,
          pairs: Math.min(load.pairs, 10),
          messages: warmupMessages,
          rate: undefined,
          window: Math.min(load.window, DEFAULT_LOAD.window),
          receipts: false,
        });
      }
      const result = await runLoad(server.urls, server.pids, load);
      log(
        `  ${name} #${round}: ${Math.round(result.messagesPerSecond)} msg/s, ` +
          `${result.serverCpuMicrosPerMessage.toFixed(1)} µs/msg, p99 ${result.latencyMs.p99.toFixed(1)} ms, ` +
          `lost ${result.lost}, unsent ${result.unsent}, duplicated ${result.duplicated}, reordered ${result.reordered}` +
          (result.timedOut ? ` (${result.ended})` : '') +
          (result.acks ? `, acks ${JSON.stringify(result.acks)}` : '') +
          (result.receipts
            ? `, receipts ${result.receipts.sent} ${JSON.stringify(result.receipts.answers)}`
            : ''),
      );
      return { target, name, round, ...receipts, result };
    } finally {
      await stopWithin(server);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`  ${name} #${round}: failed: ${message}`);
    return { target, name, round, ...receipts, error: message };
  }
}

/**
 * The targets in turn, `repeat` times: reference, sqlite, …, reference, sqlite, … With
 * `receipts`, each product target runs twice in a row, without and with receipts (the reference
 * ignores them: it runs once).
 */
export async function runBenchmark(
  targets: TargetName[],
  load: LoadOptions,
  warmupMessages: number,
  repeat = 1,
  log: (line: string) => void = console.log,
  receipts = false,
): Promise<TargetResult[]> {
  const results: TargetResult[] = [];
  for (let round = 1; round <= repeat; round++) {
    for (const target of targets) {
      results.push(await runOne(target, load, warmupMessages, round, log));
      if (receipts && target !== 'reference')
        results.push(
          await runOne(
            target,
            { ...load, receipts: true },
            warmupMessages,
            round,
            log,
          ),
        );
    }
  }
  return results;
}

/** The middle value (the lower middle of an even count), NaN if none is finite. */
export const median = (values: number[]): number => {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  return finite.length
    ? finite[Math.floor((finite.length - 1) / 2)]
    : Number.NaN;
};

const range = (values: number[]): [number, number] => {
  const finite = values.filter(Number.isFinite);
  return finite.length
    ? [Math.min(...finite), Math.max(...finite)]
    : [Number.NaN, Number.NaN];
};

/** Per target, in first-run order: the median run by `key` (the lower middle for an even count). */
export function summarize(
  runs: TargetResult[],
  key: (result: LoadResult) => number,
): TargetSummary[] {
  // A target with receipts is a row of its own.
  const byTarget = new Map<string, TargetResult[]>();
  for (const run of runs) {
    const variant = `${run.target}${run.receipts ? ' receipts' : ''}`;
    const list = byTarget.get(variant);
    if (list) list.push(run);
    else byTarget.set(variant, [run]);
  }
  return [...byTarget.values()].map((list) => {
    const { target } = list[0];
    const results = list
      .map((run) => run.result)
      .filter((r): r is LoadResult => r !== undefined);
    const sorted = [...results].sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      return (
        (Number.isFinite(ka) ? ka : Infinity) -
        (Number.isFinite(kb) ? kb : Infinity)
      );
    });
    const failed = list.filter((run) => !run.result);
    return {
      target,
      name: list.find((run) => run.result)?.name ?? list[0].name,
      ...(list[0].receipts && { receipts: true }),
      runs: list.length,
      failedRuns: failed.length,
      ...(sorted.length
        ? { median: sorted[Math.floor((sorted.length - 1) / 2)] }
        : {}),
      medians: {
        serverCpuMicrosPerMessage: median(
          results.map((r) => r.serverCpuMicrosPerMessage),
        ),
        messagesPerSecond: median(results.map((r) => r.messagesPerSecond)),
        p99Ms: median(results.map((r) => r.latencyMs.p99)),
      },
      spread: {
        serverCpuMicrosPerMessage: range(
          results.map((r) => r.serverCpuMicrosPerMessage),
        ),
        messagesPerSecond: range(results.map((r) => r.messagesPerSecond)),
        p99Ms: range(results.map((r) => r.latencyMs.p99)),
      },
      ...(failed.length ? { error: failed[0].error } : {}),
    };
  });
}

const fixed = (value: number, digits: number) =>
  Number.isFinite(value) ? value.toFixed(digits) : '–';

const spreadText = ([min, max]: [number, number], digits: number) =>
  Number.isFinite(min) ? `${fixed(min, digits)}–${fixed(max, digits)}` : '–';

const failedRow = (name: string, s: TargetSummary, columns: number) =>
  `| ${name} | failed: ${(s.error ?? '?').split('\n')[0].replace(/\|/g, '/')} |${' |'.repeat(columns - 2)}`;

const lostText = (r: LoadResult) =>
  `${r.lost}${r.unsent ? ` (+${r.unsent} unsent)` : ''}${r.timedOut ? `, ${r.ended}` : ''}`;

const runsNote = (s: TargetSummary) =>
  s.failedRuns ? ` (${s.failedRuns}/${s.runs} runs failed)` : '';

/** Markdown table of the throughput scenario: the median run per target, ratios to the reference's. */
/** ` (1.23×)`: `value` over the reference's, or nothing without a reference figure. */
const ratio = (value: number, base: number | undefined) =>
  base && Number.isFinite(value) && base > 0
    ? ` (${(value / base).toFixed(2)}×)`
    : '';

/** Receipts sent per second in a run (and how many were not answered `ok`), or a dash. */
const receiptsText = (r: LoadResult) => {
  if (!r.receipts) return '–';
  const perSecond = r.receipts.sent / r.durationSeconds;
  const notOk = r.receipts.sent - (r.receipts.answers['ok'] ?? 0);
  return `${fixed(perSecond, 0)}${notOk ? ` (${notOk} not ok)` : ''}`;
};

export function markdownTable(summaries: TargetSummary[]): string {
  const referenceSummary = summaries.find((s) => s.target === 'reference');
  const reference = referenceSummary?.median;
  const withReceipts = summaries.some((s) => s.receipts);
  const columns = withReceipts ? 14 : 13;
  const header =
    '| server | msg/s | msg/s min–max | p50 ms | p99 ms | max ms | server CPU µs/msg | CPU µs/msg min–max | server RSS MiB (peak) | client CPU s | lost | dup | reordered |' +
    (withReceipts ? ' receipts/s |' : '');
  const rows = summaries.map((s) => {
    const r = s.median;
    if (!r) return failedRow(s.name, s, columns);
    return (
      `| ${s.name}${runsNote(s)} | ${Math.round(s.medians.messagesPerSecond)}${ratio(s.medians.messagesPerSecond, referenceSummary?.medians.messagesPerSecond)} ` +
      `| ${spreadText(s.spread.messagesPerSecond, 0)} ` +
      `| ${fixed(r.latencyMs.p50, 1)} ` +
      `| ${fixed(r.latencyMs.p99, 1)}${ratio(r.latencyMs.p99, reference?.latencyMs.p99)} ` +
      `| ${fixed(r.latencyMs.max, 1)} ` +
      `| ${fixed(r.serverCpuMicrosPerMessage, 1)}${ratio(r.serverCpuMicrosPerMessage, reference?.serverCpuMicrosPerMessage)} ` +
      `| ${spreadText(s.spread.serverCpuMicrosPerMessage, 1)} ` +
      `| ${fixed(r.serverRssMiB, 0)} (${fixed(r.serverPeakRssMiB, 0)}) ` +
      `| ${fixed(r.clientCpuSeconds, 2)} ` +
      `| ${lostText(r)} | ${r.duplicated} | ${r.reordered} |` +
      (withReceipts ? ` ${receiptsText(r)} |` : '')
    );
  });
  return [header, `|${' --- |'.repeat(columns)}`, ...rows].join('\n');
}

/**
 * Per product target run with and without receipts: server CPU per message with them over without,
 * from the two medians, and over the rounds (each round's pair of runs, one right after the other).
 */
export function receiptRatios(
  summaries: TargetSummary[],
  runs: TargetResult[],
): string[] {
  const lines: string[] = [];
  for (const withReceipts of summaries.filter((s) => s.receipts)) {
    const without = summaries.find(
      (s) => s.target === withReceipts.target && !s.receipts,
    );
    if (!without) continue;
    const cpu = (receipts: boolean, round: number) =>
      runs.find(
        (run) =>
          run.target === withReceipts.target &&
          !!run.receipts === receipts &&
          run.round === round,
      )?.result?.serverCpuMicrosPerMessage ?? Number.NaN;
    const rounds = [...new Set(runs.map((run) => run.round))];
    const perRound = rounds
      .map((round) => cpu(true, round) / cpu(false, round))
      .filter(Number.isFinite);
    const a = withReceipts.medians.serverCpuMicrosPerMessage;
    const b = without.medians.serverCpuMicrosPerMessage;
    lines.push(
      `- ${without.name}: server CPU per message with receipts ${fixed(a, 1)} µs, without ${fixed(b, 1)} µs: ` +
        `${fixed(a / b, 2)}× (per round ${perRound.map((r) => fixed(r, 2)).join(', ') || '–'}; goal ≤ 1.3×)`,
    );
  }
  return lines;
}

const latencyGoal = (target: TargetName) =>
  target === 'redis' || target === 'postgres'
    ? LATENCY_GOAL_MS.twoNodes
    : LATENCY_GOAL_MS.oneNode;

/**
 * Markdown table of the paced scenario: the median run by p99 per target, its p99 and server CPU
 * also as ratios to the reference's median run (the same machine, minutes apart).
 */
export function latencyTable(summaries: TargetSummary[], rate: number): string {
  const reference = summaries.find((s) => s.target === 'reference')?.median;
  const header =
    '| server | offered msg/s | delivered msg/s | p50 ms | p90 ms | p99 ms | p99 min–max | p99 after 1 s, ms | max ms | server CPU µs/msg | lost | p99 goal |';
  const rows = summaries.map((s) => {
    const r = s.median;
    if (!r) return failedRow(s.name, s, 12);
    const goal = latencyGoal(s.target);
    const met = r.latencyMs.p99 <= goal && !r.lost && !r.timedOut;
    return (
      `| ${s.name}${runsNote(s)} | ${rate} | ${Math.round(r.messagesPerSecond)} ` +
      `| ${fixed(r.latencyMs.p50, 1)} | ${fixed(r.latencyMs.p90, 1)} ` +
      `| ${fixed(r.latencyMs.p99, 1)}${ratio(r.latencyMs.p99, reference?.latencyMs.p99)} ` +
      `| ${spreadText(s.spread.p99Ms, 1)} | ${fixed(r.latencyMs.p99AfterFirstSecond, 1)} ` +
      `| ${fixed(r.latencyMs.max, 1)} ` +
      `| ${fixed(r.serverCpuMicrosPerMessage, 1)}${ratio(r.serverCpuMicrosPerMessage, reference?.serverCpuMicrosPerMessage)} ` +
      `| ${lostText(r)} ` +
      `| ≤ ${goal} ms: ${s.target === 'reference' ? (met ? '(met)' : '(missed)') : met ? 'met' : '**missed**'} |`
    );
  });
  return [header, `|${' --- |'.repeat(12)}`, ...rows].join('\n');
}

/** Markdown table of the joins scenario, and CPU(largest)/CPU(smallest) per server and mode. */
export function joinsTable(runs: JoinsRun[]): string {
  const header =
    '| server | mode | clients | result | every view correct, s | server CPU s | server RSS MiB before → after | KiB per idle connection | presence events | users listed | client CPU s | client peak RSS MiB |';
  const rows = runs.map((run) => {
    const r = run.result;
    const head = `| ${run.name} | ${run.mode} | ${run.clients} `;
    if (!r)
      return `${head}| failed: ${(run.error ?? '?').split('\n')[0].replace(/\|/g, '/')} |${' |'.repeat(8)}`;
    const result =
      r.ended === 'complete'
        ? 'ok'
        : `${r.ended}: ${(r.error ?? '').split('\n')[0].replace(/\|/g, '/')}`;
    return (
      `${head}| ${result} | ${fixed(r.secondsToAllCorrect ?? Number.NaN, 1)} ` +
      `| ${fixed(r.serverCpuSeconds, 2)} | ${fixed(r.serverRssBeforeMiB, 0)} → ${fixed(r.serverRssAfterMiB, 0)} (peak ${fixed(r.serverPeakRssMiB, 0)}) ` +
      `| ${fixed(r.kibPerIdleConnection, 1)} | ${r.presenceEvents} | ${r.listedUsers} | ${fixed(r.clientCpuSeconds, 1)} | ${fixed(r.clientPeakRssMiB, 0)} |`
    );
  });
  const lines = [header, `|${' --- |'.repeat(12)}`, ...rows];
  const groups = new Map<string, JoinsRun[]>();
  for (const run of runs) {
    const key = `${run.name}, ${run.mode} mode`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const ratios: string[] = [];
  for (const [key, list] of groups) {
    if (list.length < 2) continue;
    const sorted = [...list].sort((a, b) => a.clients - b.clients);
    const small = sorted[0];
    const large = sorted[sorted.length - 1];
    const cpu = (run: JoinsRun) =>
      run.result?.ended === 'complete'
        ? run.result.serverCpuSeconds
        : undefined;
    const smallCpu = cpu(small);
    const largeCpu = cpu(large);
    ratios.push(
      `- ${key}: CPU(${large.clients}) / CPU(${small.clients}) = ` +
        (smallCpu !== undefined && largeCpu !== undefined
          ? `${fixed(largeCpu / smallCpu, 1)}× (${fixed(large.clients / small.clients, 0)}× the users)`
          : `– (${largeCpu === undefined ? large.clients : small.clients} clients did not complete)`),
    );
  }
  if (ratios.length) lines.push('', ...ratios);
  return lines.join('\n');
}

const statOf = (s: TargetSummary, key: keyof TargetSummary['medians']): Stat =>
  Number.isFinite(s.medians[key])
    ? { median: s.medians[key], min: s.spread[key][0], max: s.spread[key][1] }
    : null;

/** One colour per target across the chart's panels. */
const TARGET_COLORS: Record<TargetName, string | undefined> = {
  reference: undefined, // the chart's grey
  sqlite: PALETTE[0],
  memory: PALETTE[1],
  redis: PALETTE[2],
  postgres: PALETTE[3],
};

/** The chart's panels from the summaries (pure: the unit test feeds it made-up results). */
export function chartPanels(
  throughput: TargetSummary[],
  latency: TargetSummary[],
  latencyRate: number,
  joins: JoinsRun[],
): ChartPanel[] {
  const rows = (
    summaries: TargetSummary[],
    value: (s: TargetSummary) => Stat,
    goal?: (s: TargetSummary) => number,
  ) =>
    summaries.map((s) => ({
      name: s.name,
      isReference: s.target === 'reference',
      value: value(s),
      note: s.error ? 'failed' : undefined,
      color: TARGET_COLORS[s.target],
      goal: goal?.(s),
    }));
  const panels: ChartPanel[] = [];
  if (throughput.length) {
    panels.push(
      {
        title: 'Server CPU per delivered message',
        hint: 'lower is better',
        unit: 'µs of server CPU per message',
        rows: rows(throughput, (s) => statOf(s, 'serverCpuMicrosPerMessage')),
      },
      {
        title: 'Throughput, closed loop',
        hint: 'higher is better',
        unit: 'messages delivered per second',
        rows: rows(throughput, (s) => statOf(s, 'messagesPerSecond')),
      },
    );
  }
  if (latency.length) {
    panels.push({
      title: `p99 latency at an offered ${latencyRate} msg/s`,
      hint: `lower is better; goal ≤ ${LATENCY_GOAL_MS.oneNode} ms on one node, ≤ ${LATENCY_GOAL_MS.twoNodes} ms on two`,
      unit: 'milliseconds',
      rows: rows(
        latency,
        (s) => statOf(s, 'p99Ms'),
        (s) => latencyGoal(s.target),
      ),
      // Far beyond the goals nothing is readable any more: cut there (the figures stay exact).
      axisCap: 10 * LATENCY_GOAL_MS.twoNodes,
    });
  }
  if (joins.length) {
    panels.push({
      title: 'Joins: until every presence view is correct',
      hint: `lower is better; goal ≤ ${JOINS_GOAL_SECONDS} s at 10,000 users`,
      unit: 'seconds',
      rows: joins.map((run) => {
        const seconds = run.result?.secondsToAllCorrect;
        const complete = run.result?.ended === 'complete' && seconds != null;
        return {
          name: `${run.target === 'reference' ? 'reference' : 'sqlite'} ${run.mode} ${run.clients}`,
          isReference: run.target === 'reference',
          color: TARGET_COLORS[run.target],
          goal: JOINS_GOAL_SECONDS,
          value: complete
            ? { median: seconds, min: seconds, max: seconds }
            : null,
          note: complete
            ? undefined
            : `${run.result?.ended ?? 'failed'} after ${fixed(run.result?.elapsedSeconds ?? Number.NaN, 0)} s`,
        };
      }),
      referenceLine: false,
    });
  }
  return panels;
}

/** The joins runs of a benchmark: the reference (guide) and the product on SQLite (paged, guide). */
export function joinsPlan(
  sizes: number[],
): Pick<JoinsRun, 'target' | 'mode' | 'clients'>[] {
  return [
    ...sizes.map((clients) => ({
      target: 'reference' as const,
      mode: 'guide' as const,
      clients,
    })),
    ...sizes.map((clients) => ({
      target: 'sqlite' as const,
      mode: 'paged' as const,
      clients,
    })),
    ...sizes
      .filter((clients) => clients <= 1000)
      .map((clients) => ({
        target: 'sqlite' as const,
        mode: 'guide' as const,
        clients,
      })),
  ];
}

export async function runJoinsScenario(
  sizes: number[],
  options: { concurrency: number; timeoutMs: number },
  log: (line: string) => void = console.log,
): Promise<JoinsRun[]> {
  const runs: JoinsRun[] = [];
  for (const { target, mode, clients } of joinsPlan(sizes)) {
    let name: string = target;
    try {
      const server = await startTarget(target);
      name = server.name;
      await sleep(1000); // settle before the "before" memory figure
      log(`  ${name}, ${mode} mode, ${clients} clients…`);
      const result = await runJoins(
        {
          url: server.urls[0],
          pid: server.pids[0],
          stop: () => stopWithin(server),
        },
        {
          clients,
          mode,
          concurrency: options.concurrency,
          timeoutMs: options.timeoutMs,
        },
      );
      log(
        `  ${name}, ${mode} mode, ${clients} clients: ${result.ended}` +
          (result.secondsToAllCorrect !== null
            ? ` in ${result.secondsToAllCorrect.toFixed(1)} s`
            : '') +
          `, server CPU ${result.serverCpuSeconds.toFixed(1)} s, ${fixed(result.kibPerIdleConnection, 1)} KiB/connection` +
          (result.error ? ` — ${result.error}` : ''),
      );
      runs.push({ target, name, mode, clients, result });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`  ${name}, ${mode} mode, ${clients} clients: failed: ${message}`);
      runs.push({ target, name, mode, clients, error: message });
    }
  }
  return runs;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Markdown tables with padded columns, as Prettier writes them, so that latest.md and README's copy
 * of it stay unchanged by `prettier --write`. Cells never contain `|`.
 */
export function alignTables(markdown: string): string {
  const lines = markdown.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    if (!lines[i].startsWith('|')) {
      out.push(lines[i++]);
      continue;
    }
    const block: string[][] = [];
    while (i < lines.length && lines[i].startsWith('|'))
      block.push(
        lines[i++]
          .trim()
          .replace(/^\||\|$/g, '')
          .split('|')
          .map((cell) => cell.trim()),
      );
    const columns = Math.max(...block.map((row) => row.length));
    const isRule = (row: string[]) => row.every((cell) => /^-+$/.test(cell));
    const widths = Array.from({ length: columns }, (_, c) =>
      Math.max(
        3,
        ...block
          .filter((row) => !isRule(row))
          .map((row) => [...(row[c] ?? '')].length),
      ),
    );
    for (const row of block) {
      const cells = widths.map((width, c) =>
        isRule(row)
          ? '-'.repeat(width)
          : (row[c] ?? '') + ' '.repeat(width - [...(row[c] ?? '')].length),
      );
      out.push(`| ${cells.join(' | ')} |`);
    }
  }
  return out.join('\n');
}

export const README_START = '<!-- bench-results:start -->';
export const README_END = '<!-- bench-results:end -->';

/** README with the text between the two markers replaced by `markdown`; undefined without markers. */
export function embedInReadme(
  readme: string,
  markdown: string,
): string | undefined {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END, start);
  if (start < 0 || end < 0) return undefined;
  return (
    readme.slice(0, start + README_START.length) +
    '\n\n' +
    markdown.trim() +
    '\n\n' +
    readme.slice(end)
  );
}

/** A run that broke the messaging contract: failed, unfinished, or lost/duplicated/reordered. */
const broken = (run: TargetResult) =>
  !run.result ||
  run.result.timedOut ||
  run.result.lost > 0 ||
  run.result.duplicated > 0 ||
  run.result.reordered > 0 ||
  run.result.invalid > 0;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pairs: { type: 'string' },
      messages: { type: 'string' },
      payload: { type: 'string' },
      rate: { type: 'string' },
      window: { type: 'string' },
      timeout: { type: 'string' },
      stall: { type: 'string' },
      acks: { type: 'boolean' },
      receipts: { type: 'boolean' },
      warmup: { type: 'string' },
      targets: { type: 'string' },
      repeat: { type: 'string' },
      'latency-rate': { type: 'string' },
      'latency-messages': { type: 'string' },
      'latency-targets': { type: 'string' },
      joins: { type: 'string' },
      'joins-concurrency': { type: 'string' },
      'joins-timeout': { type: 'string' },
      'fanout-nodes': { type: 'string' },
      scenarios: { type: 'string' },
      out: { type: 'string' },
      readme: { type: 'boolean' },
    },
    allowPositionals: false,
    strict: true,
  });
  const positive = (
    text: string | undefined,
    fallback: number,
    what: string,
  ) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`--${what} must be a number ≥ 0`);
    return value;
  };
  const whole = (text: string | undefined, fallback: number, what: string) =>
    Math.max(1, Math.floor(positive(text, fallback, what)));
  const list = <T extends string>(
    text: string | undefined,
    fallback: readonly T[],
    allowed: readonly T[],
    what: string,
  ): T[] => {
    const items = (text ?? fallback.join(','))
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean) as T[];
    const unknown = items.filter((t) => !allowed.includes(t));
    if (unknown.length)
      throw new Error(
        `unknown ${what} ${unknown.join(', ')}: use ${allowed.join(', ')}`,
      );
    return items;
  };
  const load: LoadOptions = {
    pairs: whole(values.pairs, DEFAULT_LOAD.pairs, 'pairs'),
    messages: whole(values.messages, DEFAULT_LOAD.messages, 'messages'),
    payloadBytes: Math.floor(
      positive(values.payload, DEFAULT_LOAD.payloadBytes, 'payload'),
    ),
    rate: positive(values.rate, 0, 'rate') || undefined,
    window: whole(values.window, DEFAULT_LOAD.window, 'window'),
    timeoutMs:
      positive(values.timeout, DEFAULT_LOAD.timeoutMs / 1000, 'timeout') * 1000,
    stallMs:
      positive(values.stall, (DEFAULT_LOAD.stallMs ?? 10_000) / 1000, 'stall') *
      1000,
    acks: values.acks ?? false,
  };
  const warmup = Math.floor(positive(values.warmup, 200, 'warmup'));
  const repeat = whole(values.repeat, 3, 'repeat');
  const targets = list(values.targets, TARGET_NAMES, TARGET_NAMES, 'target(s)');
  const scenarios = list(values.scenarios, SCENARIOS, SCENARIOS, 'scenario(s)');
  const latencyRate = positive(values['latency-rate'], 10_000, 'latency-rate');
  const latencyMessages = whole(
    values['latency-messages'],
    1000,
    'latency-messages',
  );
  const latencyTargets = list(
    values['latency-targets'],
    ['reference', 'sqlite', 'redis'] as TargetName[],
    TARGET_NAMES,
    'latency target(s)',
  );
  const joinsSizes =
    values.joins === 'none' || values.joins === '0'
      ? []
      : (values.joins ?? '1000,10000')
          .split(',')
          .map((n) => whole(n, 1, 'joins'));
  const joinsConcurrency = whole(
    values['joins-concurrency'],
    DEFAULT_JOINS.concurrency,
    'joins-concurrency',
  );
  const joinsTimeoutMs =
    positive(
      values['joins-timeout'],
      DEFAULT_JOINS.timeoutMs / 1000,
      'joins-timeout',
    ) * 1000;
  const fanoutNodes = (values['fanout-nodes'] ?? DEFAULT_FANOUT_NODES.join(','))
    .split(',')
    .map((n) => Math.max(2, whole(n, 3, 'fanout-nodes')));
  // Same pairs and payload as the throughput runs, paced, open loop (the window never holds a sender back).
  const latencyLoad: LoadOptions = {
    ...load,
    messages: latencyMessages,
    rate: latencyRate,
    window: latencyMessages,
  };

  const startedAt = new Date().toISOString();
  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
  };

  let throughputRuns: TargetResult[] = [];
  if (scenarios.includes('throughput') && targets.length) {
    console.log(`throughput: ${targets.join(', ')}, ${repeat} round(s)`);
    throughputRuns = await runBenchmark(
      targets,
      load,
      warmup,
      repeat,
      console.log,
      values.receipts ?? false,
    );
  }
  let latencyRuns: TargetResult[] = [];
  if (
    scenarios.includes('latency') &&
    latencyRate > 0 &&
    latencyTargets.length
  ) {
    console.log(
      `latency at ${latencyRate} msg/s: ${latencyTargets.join(', ')}, ${repeat} round(s)`,
    );
    latencyRuns = await runBenchmark(
      latencyTargets,
      latencyLoad,
      warmup,
      repeat,
    );
  }
  let joins: JoinsRun[] = [];
  if (scenarios.includes('joins') && joinsSizes.length) {
    console.log(`joins: ${joinsSizes.join(', ')} clients`);
    joins = await runJoinsScenario(joinsSizes, {
      concurrency: joinsConcurrency,
      timeoutMs: joinsTimeoutMs,
    });
  }

  let fanout: FanoutRun[] = [];
  if (scenarios.includes('fanout') && fanoutNodes.length) {
    console.log(
      `fan-out: ${fanoutNodes.join(', ')} nodes, every client on the first, ${repeat} round(s)`,
    );
    fanout = await runFanout(fanoutNodes, load, warmup, repeat);
  }

  const throughput = summarize(
    throughputRuns,
    (r) => r.serverCpuMicrosPerMessage,
  );
  const latency = summarize(latencyRuns, (r) => r.latencyMs.p99);
  const outDir = join(workspaceRoot, values.out ?? 'bench/results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'latest.json'),
    JSON.stringify(
      {
        startedAt,
        finishedAt: new Date().toISOString(),
        machine,
        options: {
          load,
          warmupMessages: warmup,
          repeat,
          latency: latencyLoad,
          joins: {
            sizes: joinsSizes,
            concurrency: joinsConcurrency,
            timeoutMs: joinsTimeoutMs,
          },
        },
        throughput: { summary: throughput, runs: throughputRuns },
        latency: { summary: latency, runs: latencyRuns },
        joins,
        fanout,
      },
      null,
      2,
    ) + '\n',
  );

  const environment =
    `Node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel}); the load generator runs on the same machine. ` +
    `Server CPU and RSS: all server processes together (Redis itself not counted).`;
  // No top-level heading: README's Benchmark section embeds this file as is.
  const sections: string[] = [
    `Run of ${startedAt}, \`npm run bench\`${process.argv.length > 2 ? ` with \`${process.argv.slice(2).join(' ')}\`` : ''}. ${environment}`,
  ];
  if (throughput.length) {
    sections.push(
      '#### Throughput',
      `${load.pairs} sender/receiver pairs × ${load.messages} messages × ${load.payloadBytes} bytes, websocket, ` +
        (load.rate
          ? `paced at ${load.rate} msg/s`
          : `closed loop (at most ${load.window} messages of a pair in flight)`) +
        `, after a warm-up of ${warmup} messages × ${Math.min(load.pairs, 10)} pairs. ` +
        `The targets ran in turn, ${repeat} time(s) each; each row is the target's median run by server CPU per message ` +
        `(its latency, memory, losses), except msg/s: the median of the runs' msg/s; min–max: over the runs. ` +
        `Ratios in parentheses: to the reference server (raw socket.io, the guide's design).` +
        (values.receipts
          ? ` Rows marked receipts: every receiver also sends \`receipt\` { delivered, read } for its newest message, at most one per ${RECEIPT_INTERVAL_MS} ms, ` +
            `as the web app does with the conversation open; each such run follows the same target's run without, in every round.`
          : ''),
      [
        markdownTable(throughput),
        receiptRatios(throughput, throughputRuns).join('\n'),
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  }
  if (latency.length) {
    sections.push(
      '#### Latency at an offered load',
      `${latencyLoad.pairs} pairs × ${latencyMessages} messages × ${load.payloadBytes} bytes, paced at ${latencyRate} msg/s in total ` +
        `(open loop), ${repeat} alternating run(s) per target; each row is the median run by p99. ` +
        `Latency: from the sender's emit to the receiver's event, both in the load generator. ` +
        `p99 after 1 s: the same run without the messages sent in its first second (the server steps from idle to the full rate; the goal is checked on the whole run's p99). ` +
        `Server CPU per message at this rate: few messages share each wake-up, write and commit, so it is far above the closed loop's. ` +
        `Ratios in parentheses: to the reference's median run. ` +
        `The issue's goal: p99 ≤ ${LATENCY_GOAL_MS.oneNode} ms on one node, ≤ ${LATENCY_GOAL_MS.twoNodes} ms across two nodes on Redis.`,
      latencyTable(latency, latencyRate),
    );
  }
  if (joins.length) {
    sections.push(
      '#### Joins',
      `N clients connect to one node, ${joinsConcurrency} at a time, websocket, distinct usernames; each keeps its presence view ` +
        `from the events (guide mode: \`users\` + \`user connected\`/\`user disconnected\`, correct = all N users known and connected; ` +
        `paged mode: \`directory: 'paged'\`, its \`users\` + the first \`fetch users\` page + events, correct = at least min(N, 50) users, all connected). ` +
        `Every run on a fresh server, at most ${joinsTimeoutMs / 1000} s; server CPU until every view is correct; RSS before the first client ` +
        `and ${DEFAULT_JOINS.idleMs / 1000} s after the last view is correct (all clients still connected, idle). ` +
        `The issue's goal: 10,000 users within ${JOINS_GOAL_SECONDS} s, CPU(10k) ≤ 15× CPU(1k), ≤ 30 KB per idle connection.`,
      joinsTable(joins),
    );
  }
  if (fanout.length) {
    sections.push(
      '#### Fan-out',
      `N api nodes on one Redis (the sharded adapter), every client on the first node, the throughput load ` +
        `(${load.pairs} pairs × ${load.messages} messages, closed loop), ${repeat} round(s) per node count. ` +
        `Idle node: a node without a single client; its CPU over the run (/proc/<pid>/schedstat) less its baseline (its CPU with no traffic, ` +
        `measured over 3 s just before, per second: heartbeats, sweeps, timers; from 25 s after its start, past the one-off collections of V8's memory reducer), per message delivered, each idle node of each run ` +
        `(Redis itself not counted). The issue's goal: ≤ 1 µs per message on an idle node (the streams adapter: 8.6–9.0 µs).`,
      fanoutTable(fanout),
    );
  }
  const markdown = alignTables(sections.join('\n\n') + '\n');
  writeFileSync(join(outDir, 'latest.md'), markdown);
  writeFileSync(
    join(outDir, 'latest.svg'),
    renderChart({
      title: 'Private messaging: the product vs the guide’s server (reference)',
      subtitle: `${startedAt.slice(0, 16).replace('T', ' ')} UTC · Node ${machine.node} · ${machine.cpus} CPUs · load generator on the same machine · ${repeat} alternating runs`,
      panels: chartPanels(throughput, latency, latencyRate, joins),
    }),
  );
  console.log(
    `\n${markdown}\nwritten: ${['latest.json', 'latest.md', 'latest.svg'].map((f) => join(outDir, f)).join(', ')}`,
  );
  if (values.readme) {
    const readmePath = join(workspaceRoot, 'README.md');
    const updated = embedInReadme(readFileSync(readmePath, 'utf8'), markdown);
    if (updated === undefined) {
      console.error(
        `README.md has no ${README_START} … ${README_END} block: not updated`,
      );
    } else {
      writeFileSync(readmePath, updated);
      console.log(`README.md: the Benchmark section's results replaced`);
    }
  }
  // Only a broken messaging contract fails the command; missed goals and failed joins are reported.
  process.exitCode = [...throughputRuns, ...latencyRuns].some(broken) ? 1 : 0;
}

if (require.main === module) {
  main()
    // Nothing may keep the process alive once the results are written.
    .then(() => process.exit())
    .catch((error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
