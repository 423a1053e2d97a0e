import { DIRECTORY_PAGE_SIZE } from '@chat/contracts';
import { ClientPool } from '@chat/test-support';
import {
  expect,
  messages,
  test,
  userItem,
  userStatus,
} from './support/fixtures';

/** More users than a page of the directory: member-01 … member-55, all after "alice" by name. */
const MEMBERS = DIRECTORY_PAGE_SIZE + 5;
const member = (n: number) => `member-${String(n).padStart(2, '0')}`;

// All these users come from one address: more new sessions than NEW_SESSIONS_PER_MINUTE allows.
test.use({ apiEnv: { NEW_SESSIONS_PER_MINUTE: '1000' } });

test('the directory comes in pages: the first at once, more on scroll or with the button, and anyone by search', async ({
  api,
  join: openAs,
}) => {
  const pool = new ClientPool(() => api.url);
  try {
    // The others connect as the web app does, with the paged directory.
    const others = await Promise.all(
      Array.from({ length: MEMBERS }, (_, i) =>
        pool.connect({ username: member(i + 1), directory: 'paged' }),
      ),
    );
    const alice = await openAs('alice');
    const page = alice.page;

    // The first page only (whether it counts alice herself or not), then the way to more.
    await expect(userItem(page, member(49))).toBeVisible();
    await expect(userItem(page, member(51))).toHaveCount(0);
    await expect(userItem(page, member(MEMBERS))).toHaveCount(0);
    await expect(page.getByTestId('directory-more')).toBeVisible();
    await expect(userItem(page, 'alice')).toHaveCount(0);

    // Scrolling down the list to its end brings the next (and last) page.
    await userItem(page, member(10)).hover();
    await page.mouse.wheel(0, 20_000);
    await expect(userItem(page, member(MEMBERS))).toBeVisible();
    await expect(page.getByTestId('directory-end')).toBeVisible();
    await expect(page.getByTestId('directory-more')).toHaveCount(0);
    await expect(userStatus(page, member(MEMBERS))).toHaveText('online');

    // After a reload the directory starts over; the button loads the next page too.
    await page.reload();
    await expect(userItem(page, member(49))).toBeVisible();
    await expect(userItem(page, member(53))).toHaveCount(0);
    // A click event rather than a pointer click: scrolling the button into view for a pointer click
    // can load the page by itself (the list's scroll rule), which removes the button mid-click.
    await page.getByTestId('directory-more').dispatchEvent('click');
    await expect(userItem(page, member(53))).toBeVisible();

    // Again from the first page only: a search finds someone of a page not loaded.
    await page.reload();
    await expect(userItem(page, member(49))).toBeVisible();
    await expect(userItem(page, member(54))).toHaveCount(0);
    await page.getByTestId('user-search').fill('MEMBER-54');
    await expect(page.getByTestId('user-item')).toHaveCount(1);
    await expect(userItem(page, member(54))).toBeVisible();
    await expect(userStatus(page, member(54))).toHaveText('online');

    // alice writes to the user she found, who answers.
    const found = others[53];
    await userItem(page, member(54)).click();
    await page.getByTestId('message-input').fill('Hello from the directory');
    await page.getByTestId('message-input').press('Enter');
    const received = await found.client.waitFor(
      'private message',
      (m) => m.content === 'Hello from the directory',
      10_000,
    );
    const ack = await found.client.send({
      content: 'Hi alice, found me!',
      to: received.from,
    });
    expect(ack.ok).toBe(true);
    await expect(messages(page)).toHaveText([
      'Hello from the directory',
      'Hi alice, found me!',
    ]);

    // Cleared, the search gives the list back, now with the user she talks to.
    await page.getByTestId('user-search').fill('');
    await expect(userItem(page, member(49))).toBeVisible();
    await expect(userItem(page, member(54))).toBeVisible();
    await expect(userItem(page, member(53))).toHaveCount(0);
    await expect(page.getByTestId('directory-more')).toBeVisible();
  } finally {
    pool.closeAll();
  }
});
