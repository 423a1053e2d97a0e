import type { AddressInfo } from 'node:net';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { WAIT_MS, within } from '@chat/test-support';
import { createApp, type CreateAppOptions } from '../app/create-app';
import type { ChatServer } from '../transport/chat-socket';
import type { RawEnv } from '../config/app-config';

// The socket.io-client side is shared with the process-level tests (apps/api-e2e).
export {
  ClientPool,
  eventually,
  say,
  TestClient,
  WAIT_MS,
  type ClientSocket,
  type ConnectedUser,
} from '@chat/test-support';

/** Collects Nest log lines so tests can assert what was logged, and keeps test output quiet. */
export class RecordingLogger implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];
  log(message: unknown): void {
    this.record('log', message);
  }
  error(message: unknown): void {
    this.record('error', message);
  }
  warn(message: unknown): void {
    this.record('warn', message);
  }
  debug(message: unknown): void {
    this.record('debug', message);
  }
  verbose(message: unknown): void {
    this.record('verbose', message);
  }
  fatal(message: unknown): void {
    this.record('fatal', message);
  }
  has(level: string, pattern: RegExp): boolean {
    return this.lines.some(
      (line) => line.level === level && pattern.test(line.message),
    );
  }
  /** Resolves once a matching line has been logged (before or after the call). */
  waitFor(level: string, pattern: RegExp, ms = WAIT_MS): Promise<void> {
    if (this.has(level, pattern)) return Promise.resolve();
    let listener: () => void = () => undefined;
    const logged = new Promise<void>((resolve) => {
      listener = () => {
        if (this.has(level, pattern)) resolve();
      };
      this.listeners.add(listener);
    });
    return within(logged, ms, `a ${level} log matching ${pattern}`).finally(
      () => this.listeners.delete(listener),
    );
  }
  private readonly listeners = new Set<() => void>();
  private record(level: string, message: unknown): void {
    this.lines.push({ level, message: String(message) });
    for (const listener of this.listeners) listener();
  }
}

export interface TestServer {
  app: INestApplication;
  /** Its socket.io server, for what no client can see (which rooms a node still holds). */
  io: ChatServer;
  url: string;
  logger: RecordingLogger;
}

/**
 * The real app (createApp), listening on a free port. Memory stores unless `env` says otherwise
 * (`STORE: 'sqlite'` with a `SQLITE_PATH` from `TempDir`).
 */
export async function startServer(
  env: RawEnv = {},
  options: CreateAppOptions = {},
): Promise<TestServer> {
  const logger = new RecordingLogger();
  const { app, ioAdapter } = await createApp(
    {
      NODE_ENV: 'test',
      PORT: '0',
      STORE: 'memory',
      // Every test client comes from 127.0.0.1; the limits' own tests set them.
      NEW_SESSIONS_PER_MINUTE: '1000000',
      MAX_CONNECTIONS_PER_ADDRESS: '1000000',
      ...env,
    },
    { logger, ...options },
  );
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    io: ioAdapter.server as ChatServer,
    url: `http://127.0.0.1:${port}`,
    logger,
  };
}
