import 'reflect-metadata';
import cluster from 'node:cluster';
import { createApp, listen } from './app/create-app';
import { runPrimary, runWorker } from './app/cluster';
import { ConfigValidationError, validateEnv } from './config/app-config';
import { StartupError } from './shared/redis/redis-connection';

async function bootstrap(): Promise<void> {
  if (cluster.isWorker) return runWorker();
  const config = validateEnv(process.env);
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
