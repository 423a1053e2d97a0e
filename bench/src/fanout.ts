import { type ApiProcess, redisForTests, startApi } from '@chat/test-support';
import { readFileSync } from 'node:fs';
import { type LoadOptions, runLoad } from './load';
import { NO_RATE_LIMIT } from './servers';

/**
 * The fan-out scenario: N api nodes on one Redis, every client on the first node, the closed-loop
 * load between them. The other nodes have no client at all: what each spends per message is what
 * the adapter costs a node for traffic that is not its own (issue 17: 8.6–9.0 µs per message with
 * the streams adapter, which every node read in full; the goal ≤ 1 µs).
 */

export const DEFAULT_FANOUT_NODES = [3, 5];

/** How long the idle nodes' own background work (heartbeats, sweeps, GC) is measured before the load. */
const BASELINE_MS = 3000;

/**
 * How long after their start the idle nodes are first measured: V8's memory reducer runs a few full
 * collections once, some 15-20 s after start-up (about 150 ms of CPU), which would otherwise be
 * counted against the messages of a run it happens to fall in.
 */
const SETTLE_MS = 25_000;

/**
 * CPU time a process has spent on a CPU so far, in seconds, from /proc/<pid>/schedstat
 * (nanoseconds: far finer than /proc/<pid>/stat's 10 ms ticks); NaN if unreadable.
 */
export function schedCpuSeconds(pid: number): number {
  try {
    return (
      Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e9
    );
  } catch {
    return Number.NaN;
  }
}

export interface FanoutResult {
  nodes: number;
  messagesPerSecond: number;
  delivered: number;
  lost: number;
  /** The busy node's CPU per delivered message, µs. */
  busyMicrosPerMessage: number;
  /**
   * Each idle node's CPU per delivered message over the same run, µs, less what it spends with no
   * traffic at all over as long (its baseline: heartbeats, sweeps, timers).
   */
  idleMicrosPerMessage: number[];
  /** Each idle node's CPU with no traffic, ms per second (the baseline taken off above). */
  idleBaselineMsPerSecond: number[];
  p99Ms: number;
}

export interface FanoutRun {
  nodes: number;
  round: number;
  result?: FanoutResult;
  error?: string;
}

/** One run on `nodes` fresh nodes (and a fresh Redis). */
export async function runFanoutOnce(
  nodes: number,
  load: LoadOptions,
  warmupMessages: number,
): Promise<FanoutResult> {
  const redis = await redisForTests();
  const started: ApiProcess[] = [];
  try {
    const env = {
      ...NO_RATE_LIMIT,
      STORE: 'redis',
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
    };
    for (let i = 0; i < nodes; i++) started.push(await startApi(env));
    const settled = Date.now() + SETTLE_MS;
    const [busy, ...idle] = started;
    const url = `http://127.0.0.1:${busy.port}`;
    if (warmupMessages > 0)
      await runLoad([url], [busy.pid], {
        ...load,
        pairs: Math.min(load.pairs, 10),
        messages: warmupMessages,
        rate: undefined,
        receipts: false,
      });
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, settled - Date.now())),
    );
    const cpu = () => idle.map((node) => schedCpuSeconds(node.pid));
    const quiet = cpu();
    await new Promise((resolve) => setTimeout(resolve, BASELINE_MS));
    const before = cpu();
    const baseline = before.map(
      (at, i) => (at - quiet[i]) / (BASELINE_MS / 1000),
    );
    const startedAt = Date.now();
    const result = await runLoad([url], [busy.pid], load);
    const seconds = (Date.now() - startedAt) / 1000;
    const idleCpu = cpu().map((at, i) =>
      Math.max(0, at - before[i] - baseline[i] * seconds),
    );
    const perMessage = (spent: number) =>
      result.delivered > 0 ? (spent * 1e6) / result.delivered : Number.NaN;
    return {
      nodes,
      messagesPerSecond: result.messagesPerSecond,
      delivered: result.delivered,
      lost: result.lost,
      busyMicrosPerMessage: result.serverCpuMicrosPerMessage,
      idleMicrosPerMessage: idleCpu.map(perMessage),
      idleBaselineMsPerSecond: baseline.map((rate) => rate * 1000),
      p99Ms: result.latencyMs.p99,
    };
  } finally {
    await Promise.all(started.map((node) => node.stop()));
    await redis.stop();
  }
}

/** Every node count in turn, `repeat` rounds. */
export async function runFanout(
  nodeCounts: number[],
  load: LoadOptions,
  warmupMessages: number,
  repeat: number,
  log: (line: string) => void = console.log,
): Promise<FanoutRun[]> {
  const runs: FanoutRun[] = [];
  for (let round = 1; round <= repeat; round++)
    for (const nodes of nodeCounts) {
      try {
        const result = await runFanoutOnce(nodes, load, warmupMessages);
        log(
          `  fan-out, ${nodes} nodes #${round}: ${Math.round(result.messagesPerSecond)} msg/s, busy node ` +
            `${result.busyMicrosPerMessage.toFixed(1)} µs/msg, idle nodes ` +
            `${result.idleMicrosPerMessage.map((v) => v.toFixed(2)).join(', ')} µs/msg beyond their baseline ` +
            `(${result.idleBaselineMsPerSecond.map((v) => v.toFixed(1)).join(', ')} ms/s), lost ${result.lost}`,
        );
        runs.push({ nodes, round, result });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`  fan-out, ${nodes} nodes #${round}: failed: ${message}`);
        runs.push({ nodes, round, error: message });
      }
    }
  return runs;
}

const median = (values: number[]): number => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const range = (values: number[], digits: number): string => {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return '–';
  return `${Math.min(...finite).toFixed(digits)}–${Math.max(...finite).toFixed(digits)}`;
};

/** One row per node count: medians over the rounds, idle nodes' per-message CPU with its range. */
export function fanoutTable(runs: FanoutRun[], goalMicros = 1): string {
  const counts = [...new Set(runs.map((run) => run.nodes))];
  const rows = counts.map((nodes) => {
    const results = runs
      .filter((run) => run.nodes === nodes && run.result)
      .map((run) => run.result as FanoutResult);
    const failed = runs.filter((run) => run.nodes === nodes && run.error);
    const idle = results.flatMap((r) => r.idleMicrosPerMessage);
    const idleMedian = median(idle);
    const baselines = results.flatMap((r) => r.idleBaselineMsPerSecond);
    return [
      `${nodes}`,
      `${results.length}${failed.length ? ` (+${failed.length} failed)` : ''}`,
      Math.round(median(results.map((r) => r.messagesPerSecond))).toString(),
      median(results.map((r) => r.busyMicrosPerMessage)).toFixed(1),
      `${idleMedian.toFixed(2)} (${range(idle, 2)})`,
      idleMedian <= goalMicros ? 'met' : 'missed',
      median(baselines).toFixed(1),
      median(results.map((r) => r.p99Ms)).toFixed(1),
      results.reduce((sum, r) => sum + r.lost, 0).toString(),
    ];
  });
  return [
    '| nodes | runs | msg/s | busy node µs/msg | idle node µs/msg, median (min–max) | goal ≤ 1 µs | idle baseline ms/s | p99 ms | lost |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
}
