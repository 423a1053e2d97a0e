/**
 * The benchmark: the same load against the reference server (raw socket.io, the guide's design) and
 * the built product (SQLite, memory, two nodes on Redis), one target after the other; writes
 * bench/results/latest.json and latest.md (ratios to the reference) and prints the table.
 *
 *   npx nx run bench:bench [-- --pairs=50 --messages=2000 --payload=64 --rate=0 --window=32
 *                              --targets=reference,sqlite,memory,redis --warmup=200 --timeout=120 --stall=10 --acks]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { workspaceRoot } from '@nx/devkit';
import {
  DEFAULT_LOAD,
  type LoadOptions,
  type LoadResult,
  runLoad,
} from './load';
import { startTarget, TARGET_NAMES, type TargetName } from './servers';

export interface TargetResult {
  target: TargetName;
  name: string;
  result?: LoadResult;
  error?: string;
}

export async function runBenchmark(
  targets: TargetName[],
  load: LoadOptions,
  warmupMessages: number,
  log: (line: string) => void = console.log,
): Promise<TargetResult[]> {
  const results: TargetResult[] = [];
  for (const target of targets) {
    let name: string = target;
    try {
      const server = await startTarget(target);
      name = server.name;
      try {
        if (warmupMessages > 0) {
          await runLoad(server.urls, server.pids, {
            ...load,
            pairs: Math.min(load.pairs, 10),
            messages: warmupMessages,
            rate: undefined,
          });
        }
        log(`${name}: ${load.pairs} pairs × ${load.messages} messages…`);
        const result = await runLoad(server.urls, server.pids, load);
        log(
          `${name}: ${Math.round(result.messagesPerSecond)} msg/s, p99 ${result.latencyMs.p99.toFixed(1)} ms, ` +
            `lost ${result.lost}, unsent ${result.unsent}, duplicated ${result.duplicated}, reordered ${result.reordered}` +
            (result.timedOut ? ` (${result.ended})` : '') +
            (result.acks ? `, acks ${JSON.stringify(result.acks)}` : ''),
        );
        results.push({ target, name, result });
      } finally {
        await server.stop();
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`${name}: failed: ${message}`);
      results.push({ target, name, error: message });
    }
  }
  return results;
}

const fixed = (value: number, digits: number) =>
  Number.isFinite(value) ? value.toFixed(digits) : '–';

/** Markdown table: one row per target, ratios to the reference where it ran. */
export function markdownTable(results: TargetResult[]): string {
  const reference = results.find((r) => r.target === 'reference')?.result;
  const ratio = (value: number, base: number | undefined) =>
    base && Number.isFinite(value) && base > 0
      ? ` (${(value / base).toFixed(2)}×)`
      : '';
  const header =
    '| server | msg/s | p50 ms | p90 ms | p99 ms | max ms | server CPU µs/msg | server CPU s | server RSS MiB (peak) | client CPU s | lost | dup | reordered |';
  const rows = results.map(({ name, result: r, error }) => {
    if (!r)
      return `| ${name} | failed: ${error?.split('\n')[0] ?? '?'} |||||||||||| `;
    return (
      `| ${name} | ${Math.round(r.messagesPerSecond)}${ratio(r.messagesPerSecond, reference?.messagesPerSecond)} ` +
      `| ${fixed(r.latencyMs.p50, 1)}${ratio(r.latencyMs.p50, reference?.latencyMs.p50)} ` +
      `| ${fixed(r.latencyMs.p90, 1)} ` +
      `| ${fixed(r.latencyMs.p99, 1)}${ratio(r.latencyMs.p99, reference?.latencyMs.p99)} ` +
      `| ${fixed(r.latencyMs.max, 1)} ` +
      `| ${fixed(r.serverCpuMicrosPerMessage, 1)}${ratio(r.serverCpuMicrosPerMessage, reference?.serverCpuMicrosPerMessage)} ` +
      `| ${fixed(r.serverCpuSeconds, 2)} ` +
      `| ${fixed(r.serverRssMiB, 0)} (${fixed(r.serverPeakRssMiB, 0)}) ` +
      `| ${fixed(r.clientCpuSeconds, 2)} ` +
      `| ${r.lost}${r.unsent ? ` (+${r.unsent} unsent)` : ''}${r.timedOut ? `, ${r.ended}` : ''} | ${r.duplicated} | ${r.reordered} |`
    );
  });
  return [header, `|${' --- |'.repeat(13)}`, ...rows].join('\n');
}

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
      warmup: { type: 'string' },
      targets: { type: 'string' },
      out: { type: 'string' },
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
  const load: LoadOptions = {
    pairs: Math.max(
      1,
      Math.floor(positive(values.pairs, DEFAULT_LOAD.pairs, 'pairs')),
    ),
    messages: Math.max(
      1,
      Math.floor(positive(values.messages, DEFAULT_LOAD.messages, 'messages')),
    ),
    payloadBytes: Math.floor(
      positive(values.payload, DEFAULT_LOAD.payloadBytes, 'payload'),
    ),
    rate: positive(values.rate, 0, 'rate') || undefined,
    window: Math.max(
      1,
      Math.floor(positive(values.window, DEFAULT_LOAD.window, 'window')),
    ),
    timeoutMs:
      positive(values.timeout, DEFAULT_LOAD.timeoutMs / 1000, 'timeout') * 1000,
    stallMs:
      positive(values.stall, (DEFAULT_LOAD.stallMs ?? 10_000) / 1000, 'stall') *
      1000,
    acks: values.acks ?? false,
  };
  const warmup = Math.floor(positive(values.warmup, 200, 'warmup'));
  const targets = (values.targets ?? TARGET_NAMES.join(','))
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean) as TargetName[];
  const unknown = targets.filter((t) => !TARGET_NAMES.includes(t));
  if (unknown.length)
    throw new Error(
      `unknown target(s) ${unknown.join(', ')}: use ${TARGET_NAMES.join(', ')}`,
    );

  const startedAt = new Date().toISOString();
  const results = await runBenchmark(targets, load, warmup);
  const table = markdownTable(results);
  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
  };
  const outDir = join(workspaceRoot, values.out ?? 'bench/results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'latest.json'),
    JSON.stringify(
      { startedAt, machine, load, warmupMessages: warmup, results },
      null,
      2,
    ) + '\n',
  );
  const settings =
    `${load.pairs} pairs × ${load.messages} messages × ${load.payloadBytes} bytes, websocket, ` +
    (load.rate
      ? `${load.rate} msg/s`
      : `closed loop (window ${load.window} per pair)`) +
    `, warm-up ${warmup} messages × ${Math.min(load.pairs, 10)} pairs; ` +
    `Node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel}); load generator on the same machine.`;
  writeFileSync(
    join(outDir, 'latest.md'),
    `# Benchmark ${startedAt}\n\n${settings}\n\nRatios in parentheses: to the reference server (raw socket.io, the guide's design).\n` +
      `Server CPU and RSS: all server processes together (Redis itself not counted).\n\n${table}\n`,
  );
  console.log(
    `\n${settings}\n\n${table}\n\nwritten: ${join(outDir, 'latest.json')}, ${join(outDir, 'latest.md')}`,
  );
  const broken = results.some(
    (r) =>
      !r.result ||
      r.result.timedOut ||
      r.result.lost ||
      r.result.duplicated ||
      r.result.reordered ||
      r.result.invalid,
  );
  process.exitCode = broken ? 1 : 0;
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
