import { startApi } from '@chat/test-support';
import {
  expect,
  expectSignedInAs,
  messages,
  openChat,
  selfStatus,
  sendMessage,
  test,
  userItem,
  userStatus,
} from './support/fixtures';

test('alice and bob chat privately, keep their identity across a reload, and see each other leave', async ({
  join: openAs,
}) => {
  const alice = await openAs('alice');
  const bob = await openAs('bob');

  // Both see each other online; each sees themselves in the header, not in the list.
  await expect(userStatus(alice.page, 'bob')).toHaveText('online');
  await expect(userStatus(bob.page, 'alice')).toHaveText('online');
  await expect(userItem(alice.page, 'alice')).toHaveCount(0);
  await expect(userItem(bob.page, 'bob')).toHaveCount(0);
  await expect(selfStatus(alice.page)).toHaveText('online');

  // alice writes; bob, looking at nobody's conversation, sees an unread marker on alice.
  await sendMessage(alice.page, 'bob', 'Hi Bob, lunch at noon?');
  await expect(messages(alice.page)).toHaveText(['Hi Bob, lunch at noon?']);
  await expect(
    userItem(bob.page, 'alice').getByTestId('unread-badge'),
  ).toBeVisible();

  // bob opens the conversation: the marker goes, the message is there; he answers with the button.
  await userItem(bob.page, 'alice').click();
  await expect(
    userItem(bob.page, 'alice').getByTestId('unread-badge'),
  ).toHaveCount(0);
  await expect(messages(bob.page)).toHaveText(['Hi Bob, lunch at noon?']);
  await bob.page.getByTestId('message-input').fill('Sure, see you there!');
  await bob.page.getByTestId('message-send').click();
  await expect(messages(bob.page)).toHaveText([
    'Hi Bob, lunch at noon?',
    'Sure, see you there!',
  ]);
  await expect(messages(alice.page)).toHaveText([
    'Hi Bob, lunch at noon?',
    'Sure, see you there!',
  ]);
  await expect(bob.page.getByTestId('message-input')).toHaveValue('');

  // A reload keeps bob's identity (the session lives in localStorage) and his conversation:
  // the open one is in the URL, so the reload shows it again.
  const session = () =>
    bob.page.evaluate(() => [
      localStorage.getItem('sessionID'),
      localStorage.getItem('username'),
    ]);
  const sessionBefore = await session();
  await bob.page.reload();
  await expectSignedInAs(bob.page, 'bob');
  await expect(bob.page.getByTestId('username-input')).toHaveCount(0);
  expect(await session()).toEqual(sessionBefore);
  await expect(messages(bob.page)).toHaveText([
    'Hi Bob, lunch at noon?',
    'Sure, see you there!',
  ]);
  // alice saw no duplicate "bob" appear while he reloaded.
  await expect(userItem(alice.page, 'bob')).toHaveCount(1);
  await expect(userStatus(alice.page, 'bob')).toHaveText('online');

  // bob closes his page: alice sees him go offline.
  await bob.close();
  await expect(userStatus(alice.page, 'bob')).toHaveText('offline');
});

test('an invalid username is refused with the reason and the form stays', async ({
  api,
  page,
}) => {
  await page.goto(api.url);
  await page.getByTestId('username-input').fill('x'.repeat(40));
  await page.getByTestId('username-submit').click();
  await expect(page.getByTestId('username-error')).toContainText('32');
  await expect(page.getByTestId('user-item')).toHaveCount(0);
});

test('past NEW_SESSIONS_PER_MINUTE from one address, the form says why and stays; a known user still gets in', async ({
  browser,
  page,
}) => {
  const api = await startApi({ NEW_SESSIONS_PER_MINUTE: '1' });
  const alice = await openChat(browser, api.url, 'alice');
  try {
    await page.goto(api.url);
    await page.getByTestId('username-input').fill('bob');
    await page.getByTestId('username-submit').click();
    await expect(page.getByTestId('username-error')).toContainText(
      'too many new sessions from this address',
    );
    await expect(page.getByTestId('user-item')).toHaveCount(0);
    // Resuming a session is no new user: alice's reload gets her back in.
    await alice.page.reload();
    await expectSignedInAs(alice.page, 'alice');
    await expect(userItem(alice.page, 'bob')).toHaveCount(0);
  } finally {
    await alice.close();
    await api.stop();
  }
});

test('the connection banner shows while the server is away and goes once it is back', async ({
  api,
  join: openAs,
}) => {
  const alice = await openAs('alice');
  await expect(alice.page.getByTestId('connection-banner')).toHaveCount(0);
  await api.stop();
  await expect(alice.page.getByTestId('connection-banner')).toBeVisible();

  // Back on the same port and data: the client reconnects by itself and the banner goes.
  const again = await startApi({ ...api.env, PORT: String(api.port) });
  try {
    await expect(alice.page.getByTestId('connection-banner')).toHaveCount(0);
    await expect(selfStatus(alice.page)).toHaveText('online');
  } finally {
    await again.stop();
  }
});

test('a message written while bob is away waits for him, marked unread, and history survives an api restart', async ({
  api,
  join: openAs,
}) => {
  const alice = await openAs('alice');
  const bob = await openAs('bob');
  await expect(userStatus(alice.page, 'bob')).toHaveText('online');

  await bob.leave();
  await expect(userStatus(alice.page, 'bob')).toHaveText('offline');
  await sendMessage(alice.page, 'bob', 'Ping me when you are back');
  await expect(messages(alice.page)).toHaveText(['Ping me when you are back']);
  await expect(alice.page.getByTestId('send-error')).toHaveCount(0);

  // bob comes back in the same browser: same identity, alice's message waiting, marked unread.
  await bob.comeBack();
  await expectSignedInAs(bob.page, 'bob');
  await expect(
    userItem(bob.page, 'alice').getByTestId('unread-badge'),
  ).toBeVisible();
  await expect(userStatus(alice.page, 'bob')).toHaveText('online');
  await userItem(bob.page, 'alice').click();
  await expect(messages(bob.page)).toHaveText(['Ping me when you are back']);
  await sendMessage(bob.page, 'alice', 'Back now');
  await expect(messages(alice.page)).toHaveText([
    'Ping me when you are back',
    'Back now',
  ]);

  // Having read it, bob's reload shows no unread marker: the last-read mark is kept too.
  await bob.page.reload();
  await expect(userItem(bob.page, 'alice')).toBeVisible();
  await expect(
    userItem(bob.page, 'alice').getByTestId('unread-badge'),
  ).toHaveCount(0);

  // The api is killed and restarted on the same port and data: nothing of it is lost.
  await api.stop('SIGKILL');
  const again = await startApi({ ...api.env, PORT: String(api.port) });
  try {
    await alice.page.reload();
    await expectSignedInAs(alice.page, 'alice');
    await userItem(alice.page, 'bob').click();
    await expect(messages(alice.page)).toHaveText([
      'Ping me when you are back',
      'Back now',
    ]);
    await expect(userStatus(alice.page, 'bob')).toHaveText('online');
  } finally {
    await again.stop();
  }
});

test('a user whose session expires leaves the list of whoever is still online', async ({
  browser,
}) => {
  // Sessions expire a second after their last tab closes, and are pruned every second.
  const api = await startApi({
    SESSION_TTL: '1s',
    SESSION_PRUNE_INTERVAL: '1s',
  });
  const alice = await openChat(browser, api.url, 'alice');
  const bob = await openChat(browser, api.url, 'bob');
  try {
    await sendMessage(alice.page, 'bob', 'See you next week');
    await expect(messages(alice.page)).toHaveText(['See you next week']);

    await bob.close();
    await expect(userStatus(alice.page, 'bob')).toHaveText('offline');
    // Forgotten: gone from alice's list, and the conversation she had open with him says so.
    await expect(userItem(alice.page, 'bob')).toHaveCount(0, {
      timeout: 10_000,
    });
    await expect(alice.page.getByTestId('conversation-missing')).toContainText(
      'does not exist',
    );
    await expectSignedInAs(alice.page, 'alice');
  } finally {
    await Promise.all([alice.close(), bob.close()]);
    await api.stop();
  }
});
