import 'reflect-metadata';
import cluster from 'node:cluster';
import { Logger } from '@nestjs/common';
import { createApp, listen } from './app/create-app';
import { runPrimary, runWorker } from './app/cluster';
import { ConfigValidationError, validateEnv } from './config/app-config';
import { appLogger } from './logging/app-logger';
import { StartupError } from './shared/redis/redis-connection';

async function bootstrap(): Promise<void> {
  if (cluster.isWorker) return runWorker();
  const config = validateEnv(process.env);
  // What logs before any Nest app exists (the cluster primary) logs as the app will.
  Logger.overrideLogger(appLogger(config));
  if (config.clusterWorkers > 1) return runPrimary(config);
  const { app } = await createApp();
  const url = await listen(app, config);
  // The e2e harness parses exactly this line: keep the wording.
  console.log(`server listening at ${url}`);
}

bootstrap().catch((error: unknown) => {
  // These say it all in one line (or one list); anything else gets its stack.
  console.error(
    error instanceof ConfigValidationError || error instanceof StartupError
      ? error.message
      : error,
  );
  process.exit(1);
});
