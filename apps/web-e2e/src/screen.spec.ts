import { startApi } from '@chat/test-support';
import {
  expect,
  expectSignedInAs,
  messages,
  sendMessage,
  test,
  userItem,
  userStatus,
} from './support/fixtures';

/** The userID a row links to (`/chat/<userID>`). */
async function linkedID(row: ReturnType<typeof userItem>) {
  const href = await row.getAttribute('href');
  const id = /^\/chat\/(.+)$/.exec(href ?? '')?.[1];
  if (!id) throw new Error(`not a conversation link: ${href}`);
  return id;
}

test('the open conversation is in the URL: it survives a reload, works with back and forward, and puts the focus in the field', async ({
  join: openAs,
}) => {
  const alice = await openAs('alice');
  await openAs('bob');
  const page = alice.page;
  const bobID = await linkedID(userItem(page, 'bob'));

  await userItem(page, 'bob').click();
  await expect(page).toHaveURL(new RegExp(`/chat/${bobID}$`));
  await expect(page.getByTestId('peer-name')).toHaveText('bob');
  await expect(page.getByTestId('message-input')).toBeFocused();
  await page.getByTestId('message-input').fill('Hi Bob');
  await page.getByTestId('message-input').press('Enter');
  await expect(messages(page)).toHaveText(['Hi Bob']);

  await page.reload();
  await expect(page.getByTestId('peer-name')).toHaveText('bob');
  await expect(messages(page)).toHaveText(['Hi Bob']);

  await page.goBack();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('message-panel')).toHaveCount(0);
  await page.goForward();
  await expect(page).toHaveURL(new RegExp(`/chat/${bobID}$`));
  await expect(messages(page)).toHaveText(['Hi Bob']);
});

test('a link to a conversation opens it, after signing in if need be; an unknown one says so', async ({
  api,
  browser,
  join: openAs,
}) => {
  const alice = await openAs('alice');
  await openAs('bob');
  const bobID = await linkedID(userItem(alice.page, 'bob'));

  // carol has no session yet: the form first, then bob's conversation.
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${api.url}/chat/${bobID}`);
    await page.getByTestId('username-input').fill('carol');
    await page.getByTestId('username-submit').click();
    await expectSignedInAs(page, 'carol');
    await expect(page.getByTestId('peer-name')).toHaveText('bob');
    await expect(page).toHaveURL(new RegExp(`/chat/${bobID}$`));

    // An id the server does not know, and one that is no id at all.
    for (const id of ['AAAAAAAAAAAAAAAAAAAAAA', 'not%20an%20id']) {
      await page.goto(`${api.url}/chat/${id}`);
      await expect(page.getByTestId('conversation-missing')).toContainText(
        'This conversation does not exist',
      );
    }
    await page.getByTestId('back-to-chats').click();
    await expect(page).toHaveURL(/\/$/);
    await expect(userItem(page, 'bob')).toBeVisible();
  } finally {
    await context.close();
  }
});

test('on a phone the list and the conversation are two screens, with unread counts on the list and a way back', async ({
  join: openAs,
}) => {
  const alice = await openAs('alice');
  const bob = await openAs('bob');
  const page = alice.page;
  await page.setViewportSize({ width: 390, height: 780 });

  await sendMessage(bob.page, 'alice', 'one');
  await bob.page.getByTestId('message-input').fill('two');
  await bob.page.getByTestId('message-input').press('Enter');
  await expect(userItem(page, 'bob').getByTestId('unread-badge')).toHaveText(
    '2 unread',
  );
  await expect(userItem(page, 'bob')).toBeInViewport();

  await userItem(page, 'bob').click();
  await expect(page.getByTestId('message-panel')).toBeVisible();
  await expect(page.getByTestId('user-search')).toBeHidden();
  await expect(messages(page)).toHaveText(['one', 'two']);

  await page.getByTestId('back').click();
  await expect(page.getByTestId('message-panel')).toHaveCount(0);
  await expect(userItem(page, 'bob')).toBeVisible();
  await expect(userItem(page, 'bob').getByTestId('unread-badge')).toHaveCount(
    0,
  );
});

test('while this page is disconnected, the others show as unknown, not online; an offline user shows when last seen', async ({
  api,
  join: openAs,
}) => {
  const alice = await openAs('alice');
  const bob = await openAs('bob');
  await openAs('carol');
  const page = alice.page;
  await expect(userStatus(page, 'bob')).toHaveText('online');
  await userItem(page, 'bob').click();
  await expect(page.getByTestId('peer-presence')).toHaveText('online');

  await api.stop();
  await expect(page.getByTestId('connection-banner')).toBeVisible();
  await expect(userStatus(page, 'bob')).toHaveText('unknown');
  await expect(userStatus(page, 'carol')).toHaveText('unknown');
  await expect(page.getByTestId('peer-presence')).toHaveText('status unknown');
  await expect(page.getByTestId('self-status')).toHaveText('offline');

  const again = await startApi({ ...api.env, PORT: String(api.port) });
  try {
    await expect(page.getByTestId('connection-banner')).toHaveCount(0);
    await expect(userStatus(page, 'bob')).toHaveText('online');
    await expect(page.getByTestId('peer-presence')).toHaveText('online');

    // bob leaves while alice looks at his conversation.
    await bob.close();
    await expect(userStatus(page, 'bob')).toHaveText('offline');
    await expect(page.getByTestId('peer-presence')).toHaveText(
      'last seen just now',
    );
  } finally {
    await again.stop();
  }
});

test('messages: ours apart from theirs, links clickable and nothing else markup, days and times shown', async ({
  join: openAs,
}) => {
  const alice = await openAs('alice');
  const bob = await openAs('bob');
  await sendMessage(
    bob.page,
    'alice',
    'Notes: https://example.org/notes?id=1. <b>not bold</b>',
  );
  await sendMessage(alice.page, 'bob', 'Thanks!');
  const page = alice.page;
  await expect(messages(page)).toHaveText([
    'Notes: https://example.org/notes?id=1. <b>not bold</b>',
    'Thanks!',
  ]);

  const [theirs, ours] = await page.getByTestId('message').all();
  await expect(ours).toHaveClass(/\bself\b/);
  await expect(theirs).not.toHaveClass(/\bself\b/);
  // Ours on the right, theirs on the left.
  const edges = (message: typeof ours) =>
    message.getByTestId('message-content').evaluate((el) => {
      const box = el.getBoundingClientRect();
      return { left: box.left, right: box.right };
    });
  expect((await edges(ours)).left).toBeGreaterThan((await edges(theirs)).right);

  const link = theirs.locator('a');
  await expect(link).toHaveCount(1);
  await expect(link).toHaveText('https://example.org/notes?id=1');
  await expect(link).toHaveAttribute('href', 'https://example.org/notes?id=1');
  await expect(link).toHaveAttribute('target', '_blank');
  await expect(link).toHaveAttribute('rel', 'noopener noreferrer');
  await expect(theirs.locator('b')).toHaveCount(0);

  await expect(page.getByTestId('day-separator')).toHaveText(['Today']);
  await expect(
    page.getByTestId('day-separator').locator('time'),
  ).toHaveAttribute('datetime', /^\d{4}-\d{2}-\d{2}$/);
  const time = page.getByTestId('message-time').first();
  await expect(time).toHaveText(/^\d{1,2}:\d{2}/);
  await expect(time).toHaveAttribute('datetime', /T\d{2}:\d{2}/);
});

test('two users of one name show with a short suffix of their userID, in the list and the header', async ({
  join: openAs,
}) => {
  const alice = await openAs('alice');
  await openAs('dave');
  await openAs('Dave');
  const page = alice.page;
  const daves = page.locator('[data-testid=user-item][data-username="dave" i]');
  await expect(daves).toHaveCount(2);
  const names = await daves.getByTestId('user-name').allTextContents();
  expect(names.map((n) => n.trim())).toEqual([
    expect.stringMatching(/^dave \(#[A-Za-z0-9_-]{4,}\)$/i),
    expect.stringMatching(/^dave \(#[A-Za-z0-9_-]{4,}\)$/i),
  ]);
  expect(new Set(names).size).toBe(2);
  for (const [i, name] of names.entries()) {
    await daves.nth(i).click();
    await expect(page.getByTestId('peer-name')).toHaveText(name.trim());
  }
});

test('the api serves the app compressed, hashed files cached for a year and index.html revalidated', async ({
  api,
  request,
}) => {
  const index = await request.get(`${api.url}/`, {
    headers: { 'Accept-Encoding': 'br, gzip' },
  });
  expect(index.headers()['cache-control']).toBe('no-cache');
  expect(index.headers()['content-encoding']).toBe('br');
  const html = await index.text();
  const scripts = [...html.matchAll(/src="([^"]+\.js)"/g)].map((m) => m[1]);
  expect(scripts.length).toBeGreaterThan(0);
  for (const script of scripts) {
    for (const encoding of ['br', 'gzip']) {
      const response = await request.get(`${api.url}/${script}`, {
        headers: { 'Accept-Encoding': encoding },
      });
      expect(response.status()).toBe(200);
      expect(response.headers()['content-encoding']).toBe(encoding);
      expect(response.headers()['cache-control']).toBe(
        'public, max-age=31536000, immutable',
      );
    }
  }
  const deepLink = await request.get(`${api.url}/chat/someone`, {
    headers: { Accept: 'text/html' },
  });
  expect(deepLink.status()).toBe(200);
  expect(await deepLink.text()).toContain('<chat-root>');
});
