import 'reflect-metadata';
import { createApp, listen } from './app/create-app';
import { ConfigValidationError } from './config/app-config';

async function bootstrap(): Promise<void> {
  const { app, config } = await createApp();
  const url = await listen(app, config);
  // The e2e harness parses exactly this line: keep the wording.
  console.log(`server listening at ${url}`);
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof ConfigValidationError ? error.message : error);
  process.exit(1);
});
