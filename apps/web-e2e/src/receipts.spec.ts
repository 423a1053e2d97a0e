import type { Browser, Page } from '@playwright/test';
import {
  expect,
  expectSignedInAs,
  messages,
  sendMessage,
  test,
  userItem,
  userStatus,
  watchCsp,
  type ChatUser,
} from './support/fixtures';

/**
 * Conversation state with the real api: unread counts kept by the server and the same on every
 * device of a user, and what the sender sees of their messages.
 */

/** The same user on another device: a second browser context with their stored session. */
async function secondDevice(
  browser: Browser,
  url: string,
  user: ChatUser,
): Promise<Page> {
  const stored = await user.page.evaluate(() => ({
    sessionID: localStorage.getItem('sessionID') ?? '',
    username: localStorage.getItem('username') ?? '',
  }));
  const context = await browser.newContext({
    viewport: { width: 1100, height: 700 },
  });
  await watchCsp(context);
  await context.addInitScript((session) => {
    if (!localStorage.getItem('sessionID')) {
      localStorage.setItem('sessionID', session.sessionID);
      localStorage.setItem('username', session.username);
    }
  }, stored);
  const page = await context.newPage();
  await page.goto(url);
  await expectSignedInAs(page, user.name);
  return page;
}

const badge = (page: Page, username: string) =>
  userItem(page, username).getByTestId('unread-badge');

/** The state of the message of mine with this text: sending, sent, delivered, read, failed. */
const statusOf = (page: Page, text: string) =>
  page
    .getByTestId('message')
    .filter({ has: page.getByTestId('message-content').getByText(text) })
    .getByTestId('message-status');

/** Opens the settings dialog, sets read receipts, closes it. */
async function setReadReceipts(page: Page, on: boolean) {
  await page.getByTestId('settings-open').click();
  const toggle = page.getByTestId('setting-read-receipts');
  if (on) await toggle.check();
  else await toggle.uncheck();
  await expect(page.getByTestId('settings-status')).toHaveText('');
  await page.getByTestId('settings-close').click();
  await expect(page.getByTestId('settings-panel')).toHaveCount(0);
}

test('bob reads on one device and the unread count clears on his other one, and stays cleared after a reload', async ({
  api,
  browser,
  join: openAs,
}) => {
  const alice = await openAs('alice');
  const bob = await openAs('bob');
  const bobPhone = await secondDevice(browser, api.url, bob);
  try {
    await expect(userStatus(alice.page, 'bob')).toHaveText('online');
    for (const text of ['one', 'two', 'three'])
      await sendMessage(alice.page, 'bob', text);
    await expect(messages(alice.page)).toHaveText(['one', 'two', 'three']);

    for (const page of [bob.page, bobPhone]) {
      await expect(badge(page, 'alice')).toHaveText('3 unread');
      await expect(page).toHaveTitle('(3) Private chat');
    }

    await userItem(bob.page, 'alice').click();
    await expect(messages(bob.page)).toHaveText(['one', 'two', 'three']);
    await expect(badge(bob.page, 'alice')).toHaveCount(0);
    // On the other device, within a second.
    await expect(badge(bobPhone, 'alice')).toHaveCount(0, { timeout: 1_000 });
    await expect(bobPhone).toHaveTitle('Private chat');

    // The marker is the server's: a reload (no read marks in this browser) keeps it read.
    await bobPhone.reload();
    await expectSignedInAs(bobPhone, 'bob');
    await expect(userItem(bobPhone, 'alice')).toBeVisible();
    await expect(badge(bobPhone, 'alice')).toHaveCount(0);

    // With no conversation open on either, a new message counts on both; read on the phone,
    // it clears on the desktop.
    await bob.page.goto(api.url);
    await expectSignedInAs(bob.page, 'bob');
    await alice.page.getByTestId('message-input').fill('four');
    await alice.page.getByTestId('message-input').press('Enter');
    await expect(badge(bob.page, 'alice')).toHaveText('1 unread');
    await expect(badge(bobPhone, 'alice')).toHaveText('1 unread');
    await userItem(bobPhone, 'alice').click();
    await expect(messages(bobPhone)).toHaveText([
      'one',
      'two',
      'three',
      'four',
    ]);
    await expect(badge(bob.page, 'alice')).toHaveCount(0, { timeout: 1_000 });
  } finally {
    await bobPhone.context().close();
  }
});

test('alice sees her message delivered (✓✓) while bob holds it, then read with the time once he opens it', async ({
  join: openAs,
}) => {
  const alice = await openAs('alice');
  const bob = await openAs('bob');
  await expect(userStatus(alice.page, 'bob')).toHaveText('online');
  await sendMessage(alice.page, 'bob', 'Lunch at noon?');
  await expect(statusOf(alice.page, 'Lunch at noon?')).toHaveAttribute(
    'data-status',
    'delivered',
  );
  await expect(alice.page.getByTestId('message-seen')).toHaveCount(0);

  await userItem(bob.page, 'alice').click();
  await expect(statusOf(alice.page, 'Lunch at noon?')).toHaveAttribute(
    'data-status',
    'read',
  );
  await expect(alice.page.getByTestId('message-seen')).toHaveText(
    /^Seen \d{1,2}:\d{2}/,
  );
  await expect(statusOf(alice.page, 'Lunch at noon?')).toHaveAttribute(
    'title',
    'Read',
  );
});

test("with read receipts off, alice never sees bob read while bob's own devices still sync", async ({
  api,
  browser,
  join: openAs,
}) => {
  const alice = await openAs('alice');
  const bob = await openAs('bob');
  const bobPhone = await secondDevice(browser, api.url, bob);
  try {
    await setReadReceipts(bob.page, false);
    // The setting is the server's: his other device shows it off too.
    await bobPhone.getByTestId('settings-open').click();
    await expect(
      bobPhone.getByTestId('setting-read-receipts'),
    ).not.toBeChecked();
    await bobPhone.getByTestId('settings-close').click();

    await sendMessage(alice.page, 'bob', 'Did you read this?');
    await expect(statusOf(alice.page, 'Did you read this?')).toHaveAttribute(
      'data-status',
      'delivered',
    );
    await expect(badge(bobPhone, 'alice')).toHaveText('1 unread');
    await userItem(bob.page, 'alice').click();
    await expect(messages(bob.page)).toHaveText(['Did you read this?']);
    // Positive control: the read reached the server and bob's other device.
    await expect(badge(bobPhone, 'alice')).toHaveCount(0);
    // A receipt to alice would have left with that read marker: bob's reply, sent after it, reaches
    // her behind it. She still sees her message delivered only.
    await sendMessage(bob.page, 'alice', 'Yes');
    await expect(messages(alice.page)).toHaveText([
      'Did you read this?',
      'Yes',
    ]);
    await expect(statusOf(alice.page, 'Did you read this?')).toHaveAttribute(
      'data-status',
      'delivered',
    );
    await expect(alice.page.getByTestId('message-seen')).toHaveCount(0);

    // Back on: reads from then on show (the earlier one stays private).
    await setReadReceipts(bob.page, true);
    await alice.page.getByTestId('message-input').fill('And this one?');
    await alice.page.getByTestId('message-input').press('Enter');
    await expect(statusOf(alice.page, 'And this one?')).toHaveAttribute(
      'data-status',
      'read',
    );
  } finally {
    await bobPhone.context().close();
  }
});
