import type { Page } from '@playwright/test';
import {
  expect,
  messages,
  sendMessage,
  test,
  userItem,
} from './support/fixtures';

interface Recorded {
  title: string;
  body?: string;
  tag?: string;
}

declare global {
  interface Window {
    __notifications: Recorded[];
    __lastNotification?: Notification;
    __setHidden(hidden: boolean): void;
  }
}

/**
 * Before the app runs: every `new Notification` is recorded (and still shown), and the test can
 * hide the tab. Headless Chromium keeps every page visible (another tab in front, a minimized
 * window: still `visible`), so hiding is told to the page as the browser would tell it: the
 * Page Visibility API's state, and its `visibilitychange` event.
 */
function recordNotifications() {
  const Real = window.Notification;
  window.__notifications = [];
  function Recording(title: string, options?: NotificationOptions) {
    window.__notifications.push({
      title,
      body: options?.body,
      tag: options?.tag,
    });
    const shown = new Real(title, options);
    window.__lastNotification = shown;
    return shown;
  }
  Object.defineProperty(Recording, 'permission', {
    get: () => Real.permission,
  });
  Recording.requestPermission = () => Real.requestPermission();
  Recording.prototype = Real.prototype;
  window.Notification = Recording as unknown as typeof Notification;
  let hidden = false;
  Object.defineProperty(document, 'visibilityState', {
    get: () => (hidden ? 'hidden' : 'visible'),
  });
  Object.defineProperty(document, 'hidden', { get: () => hidden });
  window.__setHidden = (value) => {
    hidden = value;
    document.dispatchEvent(new Event('visibilitychange'));
  };
}

const recorded = (page: Page) => page.evaluate(() => window.__notifications);
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate((value) => window.__setHidden(value), hidden);

test('a message notifies while the tab is hidden (one per conversation, none for our own or a muted one), never while it is visible; a click opens the conversation', async ({
  api,
  join,
}) => {
  const alice = await join('alice');
  const bob = await join('bob');
  const carol = await join('carol');
  const context = alice.page.context();
  await context.addInitScript(recordNotifications);
  await alice.page.reload();
  const page = alice.page;

  // Asked from the button, never on load (the person then allows it: the test grants it).
  await expect(page.getByTestId('notifications-prompt')).toBeVisible();
  expect(await page.evaluate(() => Notification.permission)).toBe('default');
  await context.grantPermissions(['notifications'], { origin: api.url });
  await page.getByTestId('notifications-enable').click();
  await expect(page.getByTestId('notifications-prompt')).toHaveCount(0);

  // Visible: the message shows, nothing notifies.
  await sendMessage(bob.page, 'alice', 'seen on screen');
  await expect(userItem(page, 'bob').getByTestId('user-preview')).toHaveText(
    'seen on screen',
  );
  // carol's conversation is muted.
  await sendMessage(carol.page, 'alice', 'hi, from carol');
  await userItem(page, 'carol').click();
  await page.getByTestId('mute-toggle').click();
  await expect(page.getByTestId('mute-toggle')).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  await expect(userItem(page, 'carol').getByTestId('user-muted')).toBeVisible();
  expect(await recorded(page)).toEqual([]);

  // Hidden: our own message from another tab and carol's (muted) do not notify; bob's do, the
  // second replacing the first (one tag per conversation).
  await setHidden(page, true);
  const otherTab = await context.newPage();
  await otherTab.goto(`${api.url}/`);
  await sendMessage(otherTab, 'bob', 'from my other tab');
  await expect(userItem(page, 'bob').getByTestId('user-preview')).toHaveText(
    'You: from my other tab',
  );
  await otherTab.close();
  await sendMessage(carol.page, 'alice', 'muted, from carol');
  await expect(userItem(page, 'carol').getByTestId('user-preview')).toHaveText(
    'muted, from carol',
  );
  await sendMessage(bob.page, 'alice', 'are you there?');
  await sendMessage(bob.page, 'alice', 'hello?');
  await expect(userItem(page, 'bob').getByTestId('user-preview')).toHaveText(
    'hello?',
  );
  const bobID = (await userItem(page, 'bob').getAttribute('href'))?.replace(
    '/chat/',
    '',
  );
  expect(await recorded(page)).toEqual([
    { title: 'bob', body: 'are you there?', tag: `chat:${bobID}` },
    { title: 'bob', body: 'hello?', tag: `chat:${bobID}` },
  ]);

  // Its click opens bob's conversation.
  await page.evaluate(() =>
    window.__lastNotification?.onclick?.(new Event('click')),
  );
  await expect(page).toHaveURL(new RegExp(`/chat/${bobID}$`));
  await expect(messages(page)).toHaveText([
    'seen on screen',
    'from my other tab',
    'are you there?',
    'hello?',
  ]);
});

test('a hidden tab leaves the notifying to a visible tab of the same user in this browser', async ({
  api,
  join,
}) => {
  const alice = await join('alice');
  const bob = await join('bob');
  const context = alice.page.context();
  await context.addInitScript(recordNotifications);
  await context.grantPermissions(['notifications'], { origin: api.url });
  await alice.page.reload();
  const hidden = alice.page;
  const onScreen = await context.newPage();
  await onScreen.goto(`${api.url}/`);
  await expect(userItem(onScreen, 'bob')).toBeVisible();
  await setHidden(hidden, true);

  await sendMessage(bob.page, 'alice', 'read in the other tab');
  await expect(userItem(hidden, 'bob').getByTestId('user-preview')).toHaveText(
    'read in the other tab',
  );
  await expect(
    userItem(onScreen, 'bob').getByTestId('user-preview'),
  ).toHaveText('read in the other tab');
  // The other tab goes to the background too: now someone must say it.
  await setHidden(onScreen, true);
  await sendMessage(bob.page, 'alice', 'anyone?');
  await expect(userItem(hidden, 'bob').getByTestId('user-preview')).toHaveText(
    'anyone?',
  );
  expect((await recorded(hidden)).map((n) => n.body)).toEqual(['anyone?']);
});
