import { defineConfig } from '@playwright/test';
import { nxE2EPreset } from '@nx/playwright/preset';

/**
 * Browser e2e in Debian's Chromium (no browser downloads on these machines). Each test starts its own
 * api process on a random port (see src/support/fixtures.ts), serving the production build of the web app.
 */
export default defineConfig({
  ...nxE2EPreset(import.meta.dirname, {
    testDir: './src',
    openHtmlReport: 'never',
  }),
  // Two cores: several browser contexts per test are plenty of load already.
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env['CHROMIUM_PATH'] || '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  projects: [{ name: 'chromium' }],
});
