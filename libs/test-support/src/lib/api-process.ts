import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { workspaceRoot } from '@nx/devkit';

/** The line the api prints once it listens; README promises users the same URL. */
const LISTENING = /server listening at (http:\/\/\S+)/;
const START_TIMEOUT_MS = 30_000;

/**
 * Node flags the api runs with, as package.json's `start` runs it (apps/api/README.md says why):
 * tests and the benchmark start the product the way it is deployed.
 */
export const API_NODE_FLAGS: readonly string[] = [
  '--single-threaded-gc',
  '--max-semi-space-size=8',
];

export interface ApiProcess {
  url: string;
  port: number;
  pid: number;
  /** The environment it was started with beyond the inherited one: pass it again to restart alike. */
  env: Record<string, string>;
  /** Everything it printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Stops the process (SIGTERM, or SIGKILL to simulate a crash) and waits until it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A fresh, empty SQLite file path in its own temporary folder. */
export function tempSqlitePath(): string {
  return join(mkdtempSync(join(tmpdir(), 'chat-test-')), 'chat.sqlite');
}

/**
 * Starts the built api (`dist/apps/api/main.js`, so build it first) in production mode on a free
 * port, serving the built web app, with its own SQLite file unless `env` says otherwise.
 */
export async function startApi(
  env: Record<string, string> = {},
): Promise<ApiProcess> {
  const ownEnv: Record<string, string> = {
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    STORE: 'sqlite',
    WEB_DIST: join(workspaceRoot, 'dist/apps/web/browser'),
    ...env,
  };
  if (ownEnv['STORE'] === 'sqlite' && !ownEnv['SQLITE_PATH']) {
    ownEnv['SQLITE_PATH'] = tempSqlitePath();
  }
  return startServerProcess(
    join(workspaceRoot, 'dist/apps/api/main.js'),
    ownEnv,
    API_NODE_FLAGS,
  );
}

/**
 * Starts a Node server script that prints `server listening at <url>` once it listens (the api,
 * or the benchmark's reference server), with `env` on top of this process's environment.
 */
export async function startServerProcess(
  script: string,
  env: Record<string, string>,
  nodeFlags: readonly string[] = [],
): Promise<ApiProcess> {
  const child = spawn(process.execPath, [...nodeFlags, script], {
    cwd: workspaceRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const url = await waitForUrl(child, output);
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid ?? -1,
    env,
    output: () => output.join(''),
    stop: (signal = 'SIGTERM') => stopProcess(child, signal),
  };
}

export interface ExitedProcess {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From spawn to exit. */
  ms: number;
}

/**
 * Runs the built api (production, a free port) with `env` and resolves once it exits by itself:
 * for the start-ups that must fail. Killed, and rejected, if it is still running after `timeoutMs`.
 */
export function runApiToExit(
  env: Record<string, string>,
  timeoutMs = 15_000,
): Promise<ExitedProcess> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [...API_NODE_FLAGS, join(workspaceRoot, 'dist/apps/api/main.js')],
    {
      cwd: workspaceRoot,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: '0',
        HOST: '127.0.0.1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `the api still ran after ${timeoutMs} ms. Output:\n${stdout.join('')}${stderr.join('')}`,
        ),
      );
    }, timeoutMs);
    // 'close', not 'exit': once its output is read to the end too.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: stdout.join(''),
        stderr: stderr.join(''),
        ms: Date.now() - started,
      });
    });
  });
}

function waitForUrl(child: ChildProcess, output: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`server ${why}. Output:\n${output.join('')}`));
    };
    const timer = setTimeout(
      () => fail('did not print its URL in time'),
      START_TIMEOUT_MS,
    );
    child.once('exit', (code) => fail(`exited with code ${code}`));
    if (!child.stdout) return fail('has no stdout');
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line + '\n');
      const match = LISTENING.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
}

async function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}
