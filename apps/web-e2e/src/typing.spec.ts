import {
  expect,
  messages,
  sendMessage,
  test,
  userItem,
} from './support/fixtures';

test('"typing…" shows under the writer\'s name in the list and in the header, and clears on send, on an emptied draft, after a pause and when the tab closes', async ({
  join,
}) => {
  const alice = await join('alice');
  const bob = await join('bob');
  const bobRow = userItem(alice.page, 'bob');
  await sendMessage(bob.page, 'alice', 'Hi Alice');
  const aliceRow = userItem(bob.page, 'alice');
  await expect(aliceRow.getByTestId('user-preview')).toHaveText(
    'You: Hi Alice',
  );

  // alice writes: bob's list says so in her row (his conversation with her is open too).
  await bobRow.click();
  const input = alice.page.getByTestId('message-input');
  await input.pressSequentially('Hel');
  await expect(aliceRow.getByTestId('user-typing')).toHaveText('typing…');
  await expect(bob.page.getByTestId('peer-typing')).toHaveText('typing…');
  await expect(aliceRow.getByTestId('user-preview')).toHaveCount(0);

  // Her message ends it.
  await input.pressSequentially('lo');
  await input.press('Enter');
  await expect(messages(bob.page)).toHaveText(['Hi Alice', 'Hello']);
  await expect(bob.page.getByTestId('peer-typing')).toHaveCount(0);
  await expect(bob.page.getByTestId('peer-presence')).toHaveText('online');
  await expect(aliceRow.getByTestId('user-preview')).toHaveText('Hello');

  // An emptied draft ends it.
  await input.pressSequentially('Wait');
  await expect(bob.page.getByTestId('peer-typing')).toBeVisible();
  await input.fill('');
  await expect(bob.page.getByTestId('peer-typing')).toHaveCount(0);

  // So does a pause of 5 s (the draft stays). Typed at once: 'Hel' and 'Wait' may have spent the
  // server's typing budget (PROTOCOL: 2 per sender and recipient, refilled at 2 a second), and the
  // client holds this `true` until the budget is back rather than have it dropped.
  await input.pressSequentially('Well');
  await expect(aliceRow.getByTestId('user-typing')).toBeVisible();
  const paused = Date.now();
  await expect(aliceRow.getByTestId('user-typing')).toHaveCount(0, {
    timeout: 10_000,
  });
  expect(Date.now() - paused).toBeGreaterThan(3_000);
  await expect(input).toHaveValue('Well');

  // And closing the tab, at once (not after the pause, nor 15 s later by expiry).
  await input.pressSequentially(' then');
  await expect(aliceRow.getByTestId('user-typing')).toBeVisible();
  await alice.leave();
  await expect(aliceRow.getByTestId('user-typing')).toHaveCount(0, {
    timeout: 3_000,
  });
});
