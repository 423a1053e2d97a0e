import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { workspaceRoot } from '@nx/devkit';

/** The line the api prints once it listens; the product's README promises the same URL to users. */
const LISTENING = /server listening at (http:\/\/\S+)/;
const START_TIMEOUT_MS = 30_000;

export interface ApiServer {
  url: string;
  port: number;
  /** Stops the process (SIGTERM, or SIGKILL to simulate a crash) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts the built api (`dist/apps/api/main.js`) in production mode, serving the built web app. */
export async function startApi(
  env: Record<string, string> = {},
): Promise<ApiServer> {
  const child = spawn(
    process.execPath,
    [join(workspaceRoot, 'dist/apps/api/main.js')],
    {
      cwd: workspaceRoot,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: '0',
        HOST: '127.0.0.1',
        STORE: 'memory',
        WEB_DIST: join(workspaceRoot, 'dist/apps/web/browser'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const url = await waitForUrl(child, output);
  return {
    url,
    port: Number(new URL(url).port),
    stop: (signal = 'SIGTERM') => stopProcess(child, signal),
  };
}

function waitForUrl(child: ChildProcess, output: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail('did not print its URL in time'),
      START_TIMEOUT_MS,
    );
    if (!child.stdout) return fail('has no stdout');
    const lines = createInterface({ input: child.stdout });
    function fail(why: string) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`api ${why}. Output:\n${output.join('')}`));
    }
    lines.on('line', (line) => {
      output.push(line + '\n');
      const match = LISTENING.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => fail(`exited with code ${code}`));
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
