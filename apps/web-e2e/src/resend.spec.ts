import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { startApi, type ApiProcess } from '@chat/test-support';
import {
  expect,
  expectSignedInAs,
  messages,
  sendMessage,
  test,
  userItem,
  userStatus,
  type ChatUser,
} from './support/fixtures';

/**
 * A message being sent survives a lost connection and is delivered exactly once: the client keeps
 * it pending ("Sending…") and sends it again with the same `clientMessageId`, which the server
 * stores at most once per sender.
 */

/** alice and bob signed in, bob with alice's conversation open (where her message will show). */
async function aliceAndBob(openAs: (name: string) => Promise<ChatUser>) {
  const alice = await openAs('alice');
  const bob = await openAs('bob');
  await expect(userStatus(bob.page, 'alice')).toHaveText('online');
  await userItem(bob.page, 'alice').click();
  return { alice, bob };
}

/** The conversation on screen has exactly these messages, none of them still on its way. */
async function expectSettled(user: ChatUser, texts: string[]) {
  await expect(messages(user.page)).toHaveText(texts);
  await expect(user.page.getByTestId('message-sending')).toHaveCount(0);
}

/** Stored once: after a reload, both sides show alice's message once, settled. */
async function expectStoredOnce(alice: ChatUser, bob: ChatUser, text: string) {
  await bob.page.reload();
  await userItem(bob.page, 'alice').click();
  await expect(messages(bob.page)).toHaveText([text]);
  await alice.page.reload();
  await userItem(alice.page, 'bob').click();
  await expectSettled(alice, [text]);
}

test('a message written while the api is down shows as sending and is delivered once when it is back', async ({
  api,
  join: openAs,
}) => {
  const { alice, bob } = await aliceAndBob(openAs);

  await api.stop();
  await expect(alice.page.getByTestId('connection-banner')).toBeVisible();
  const text = 'Written while the server was down';
  await sendMessage(alice.page, 'bob', text);
  await expect(messages(alice.page)).toHaveText([text]);
  await expect(alice.page.getByTestId('message-sending')).toBeVisible();
  await expect(alice.page.getByTestId('message')).toHaveAttribute(
    'aria-busy',
    'true',
  );
  await expect(alice.page.getByTestId('send-error')).toHaveCount(0);

  // Back on the same port and SQLite file: the clients reconnect and the message goes.
  const again = await startApi({ ...api.env, PORT: String(api.port) });
  try {
    await expect(alice.page.getByTestId('connection-banner')).toHaveCount(0);
    await expectSettled(alice, [text]);
    await expect(messages(bob.page)).toHaveText([text]);
    await expect(alice.page.getByTestId('send-error')).toHaveCount(0);

    await expectStoredOnce(alice, bob, text);
  } finally {
    await again.stop();
  }
});

/**
 * The api serves the web app too: while it is down, `page` gets the app's files from the build
 * instead, as it would from a CDN or a development server. Only the chat server is gone.
 */
async function serveAppWhileDown(page: Page, api: ApiProcess) {
  const root = api.env['WEB_DIST'];
  await page.route(
    (url) => !url.pathname.startsWith('/socket.io/'),
    (route) => {
      const file = join(root, new URL(route.request().url()).pathname);
      return route.fulfill({
        path:
          existsSync(file) && !file.endsWith('/')
            ? file
            : join(root, 'index.html'),
      });
    },
  );
}

test('a message written while the api is down survives a reload of the page and is delivered once when it is back', async ({
  api,
  join: openAs,
}) => {
  const { alice, bob } = await aliceAndBob(openAs);

  await api.stop();
  await serveAppWhileDown(alice.page, api);
  await expect(alice.page.getByTestId('connection-banner')).toBeVisible();
  const text = 'Written, then reloaded, while the server was down';
  await sendMessage(alice.page, 'bob', text);
  await expect(alice.page.getByTestId('message-sending')).toBeVisible();

  // The tab reloads while the server is still down: the message is still there, still sending.
  await alice.page.reload();
  await expect(alice.page.getByTestId('connection-banner')).toBeVisible();
  await userItem(alice.page, 'bob').click();
  await expect(messages(alice.page)).toHaveText([text]);
  await expect(alice.page.getByTestId('message-sending')).toBeVisible();
  await expect(alice.page.getByTestId('send-error')).toHaveCount(0);

  const again = await startApi({ ...api.env, PORT: String(api.port) });
  try {
    await alice.page.unrouteAll();
    await expect(alice.page.getByTestId('connection-banner')).toHaveCount(0);
    await expectSettled(alice, [text]);
    await expect(messages(bob.page)).toHaveText([text]);
    await expect(alice.page.getByTestId('send-error')).toHaveCount(0);
    // Settled: nothing left to send after a further reload.
    expect(
      await alice.page.evaluate(() => sessionStorage.getItem('pendingSends')),
    ).toBeNull();

    await expectStoredOnce(alice, bob, text);
  } finally {
    await again.stop();
  }
});

test('a message whose acknowledgement is lost with the connection is settled by the replay and delivered once', async ({
  join: openAs,
}) => {
  const { alice, bob } = await aliceAndBob(openAs);

  const text = 'Stored, but the acknowledgement never came';
  // alice's link goes through us: the server's acknowledgement of that message is swallowed and
  // the link cut, so the server has stored and delivered it while alice cannot know.
  let cut = false;
  /** The `clientMessageId` of every attempt at sending it. */
  const attempts: string[] = [];
  await alice.page.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((frame) => {
      if (typeof frame === 'string' && frame.includes(text)) {
        attempts.push(/"clientMessageId":"([^"]+)"/.exec(frame)?.[1] ?? '');
      }
      server.send(frame);
    });
    server.onMessage((frame) => {
      // `43<id>[…]`: an Engine.IO message carrying a Socket.IO acknowledgement.
      if (!cut && typeof frame === 'string' && frame.startsWith('43')) {
        if (frame.includes(text)) {
          cut = true;
          void ws.close();
          void server.close();
          return;
        }
      }
      ws.send(frame);
    });
  });
  // A reload, so that the chat's socket is one that goes through the route.
  await alice.page.reload();
  await expectSignedInAs(alice.page, 'alice');

  await sendMessage(alice.page, 'bob', text);
  await expect(messages(bob.page)).toHaveText([text]);
  await expect.poll(() => cut).toBe(true);

  // alice reconnects by herself and the server replays the conversation: the message in it carries
  // its clientMessageId, so alice's pending send is settled by it. One copy on each side, nothing
  // left pending, none delivered twice.
  await expectSettled(alice, [text]);
  await expect(alice.page.getByTestId('send-error')).toHaveCount(0);
  await expect(messages(bob.page)).toHaveText([text]);
  // Settled, not sent again: a resend (same clientMessageId) would have been stored once too.
  expect(attempts).toHaveLength(1);
  expect(attempts[0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
  await expectStoredOnce(alice, bob, text);
});
