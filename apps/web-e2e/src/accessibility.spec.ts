import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, sendMessage, test, userItem } from './support/fixtures';

/**
 * axe-core on each screen (the username form, the list, the settings, an open conversation), in
 * the light and the dark theme, at desktop and phone width: no serious or critical violation.
 */
const SCHEMES = ['light', 'dark'] as const;
const WIDTHS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 780 },
] as const;

async function expectAccessible(page: Page, screen: string) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      screen,
      rule: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
    }));
  expect(serious).toEqual([]);
}

// One test per theme and width, each with its own people: four axe scans each, within the timeout
// even on a busy machine.
for (const colorScheme of SCHEMES) {
  for (const { name, width, height } of WIDTHS) {
    const where = `${name}, ${colorScheme}`;
    test(`the username form, the list and a conversation have no serious accessibility violations (${where})`, async ({
      api,
      browser,
      join: openAs,
    }) => {
      // A conversation with a link, our messages and theirs, and an unread one elsewhere.
      const alice = await openAs('alice');
      const bob = await openAs('bob');
      await openAs('carol');
      await sendMessage(
        bob.page,
        'alice',
        'Agenda: https://example.org/agenda',
      );
      await sendMessage(alice.page, 'bob', 'Got it, thanks!');
      const aliceStorage = await alice.page.context().storageState();
      const bobLink = String(
        await userItem(alice.page, 'bob').getAttribute('href'),
      );
      expect(bobLink).toMatch(/^\/chat\//);
      const viewport = { width, height };

      const fresh = await browser.newContext({ colorScheme, viewport });
      const form = await fresh.newPage();
      await form.goto(api.url);
      await expect(form.getByTestId('username-input')).toBeVisible();
      await expectAccessible(form, `username form (${where})`);
      // With a refusal shown.
      await form.getByTestId('username-input').fill('x'.repeat(40));
      await form.getByTestId('username-submit').click();
      await expect(form.getByTestId('username-error')).toBeVisible();
      await expectAccessible(form, `username form with an error (${where})`);
      await fresh.close();

      const context = await browser.newContext({
        colorScheme,
        viewport,
        storageState: aliceStorage,
      });
      const page = await context.newPage();
      await page.goto(api.url);
      await expect(userItem(page, 'carol')).toBeVisible();
      await expectAccessible(page, `list (${where})`);
      // The settings dialog, over the list.
      await page.getByTestId('settings-open').click();
      await expect(page.getByTestId('setting-read-receipts')).toBeVisible();
      await expectAccessible(page, `settings (${where})`);
      await page.keyboard.press('Escape');
      await expect(page.getByTestId('settings-panel')).toHaveCount(0);

      await page.goto(`${api.url}${bobLink}`);
      await expect(page.getByTestId('message-content')).toHaveCount(2);
      await expectAccessible(page, `conversation (${where})`);
      await context.close();
    });
  }
}
