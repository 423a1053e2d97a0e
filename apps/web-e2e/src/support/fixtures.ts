import {
  test as base,
  expect,
  type Browser,
  type BrowserContext,
  type Page,
} from '@playwright/test';
import { startApi, type ApiProcess } from '@chat/test-support';

export { expect };

/** A person in the chat: their own browser context (own localStorage), one page at a time. */
export interface ChatUser {
  name: string;
  page: Page;
  /** Closes the page but keeps the browser context, as a person closing their only tab. */
  leave(): Promise<void>;
  /** Opens the chat again in the same context (same stored session); `page` is the new page. */
  comeBack(): Promise<void>;
  close(): Promise<void>;
}

interface Fixtures {
  /** Environment of `api` beyond startApi's defaults (`test.use({ apiEnv })` in a spec file). */
  apiEnv: Record<string, string>;
  api: ApiProcess;
  /** Opens the chat in a fresh browser context and signs in as `name`. */
  join(name: string): Promise<ChatUser>;
}

/**
 * Content-Security-Policy violations reported by any page opened with `openChat` during the current
 * test (the browser's console error, and the `securitypolicyviolation` event).
 */
export const cspViolations: string[] = [];

export const test = base.extend<Fixtures & { cspGuard: void }>({
  // Every test fails if the app did anything its CSP forbids: the policy must allow exactly
  // what the app loads.
  cspGuard: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      cspViolations.length = 0;
      await use();
      expect(cspViolations, 'Content-Security-Policy violations').toEqual([]);
    },
    { auto: true },
  ],
  apiEnv: [{}, { option: true }],
  api: async ({ apiEnv }, use) => {
    const api = await startApi(apiEnv);
    await use(api);
    await api.stop();
  },
  join: async ({ api, browser }, use) => {
    const opened: ChatUser[] = [];
    await use(async (name) => {
      const user = await openChat(browser, api.url, name);
      opened.push(user);
      return user;
    });
    await Promise.all(opened.map((user) => user.close()));
  },
});

export async function openChat(
  browser: Browser,
  url: string,
  name: string,
): Promise<ChatUser> {
  const context = await browser.newContext({
    viewport: { width: 1100, height: 700 },
  });
  await watchCsp(context);
  const page = await context.newPage();
  await page.goto(url);
  await page.getByTestId('username-input').fill(name);
  await page.getByTestId('username-submit').click();
  await expectSignedInAs(page, name);
  let closed = false;
  const user: ChatUser = {
    name,
    page,
    leave: () => user.page.close(),
    comeBack: async () => {
      user.page = await context.newPage();
      await user.page.goto(url);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await context.close();
    },
  };
  return user;
}

/** Records every CSP violation of the context's pages in `cspViolations`. */
export async function watchCsp(context: BrowserContext): Promise<void> {
  await context.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (event) =>
      console.error(
        `CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`,
      ),
    ),
  );
  context.on('console', (message) => {
    if (
      message.type() === 'error' &&
      /Content Security Policy|CSP violation/i.test(message.text())
    )
      cspViolations.push(message.text());
  });
}

export function userItem(page: Page, username: string) {
  return page.locator(`[data-testid="user-item"][data-username="${username}"]`);
}

export function userStatus(page: Page, username: string) {
  return userItem(page, username).getByTestId('user-status');
}

/** Selects a conversation, types a message and presses Enter. */
export async function sendMessage(page: Page, to: string, content: string) {
  await userItem(page, to).click();
  await page.getByTestId('message-input').fill(content);
  await page.getByTestId('message-input').press('Enter');
}

export function messages(page: Page) {
  return page.getByTestId('message-panel').getByTestId('message-content');
}

/** The chat shows `name` as ourselves, in the header (never as a row of the list). */
export async function expectSignedInAs(page: Page, name: string) {
  await expect(page.getByTestId('self')).toHaveAttribute('data-username', name);
}

/** Our own status in the header: `online` or `offline`. */
export function selfStatus(page: Page) {
  return page.getByTestId('self-status');
}
