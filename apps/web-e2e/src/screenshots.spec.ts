import { existsSync, mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Browser, BrowserContextOptions } from '@playwright/test';
import { workspaceRoot } from '@nx/devkit';
import Database from 'better-sqlite3';
import {
  ClientPool,
  type ConnectedUser,
  say,
  startApi,
} from '@chat/test-support';
import { expect, test, userItem } from './support/fixtures';

/**
 * The README's pictures, from a realistic scene: conversations over two days, a link, our messages
 * and theirs (delivered, read: ticks and "Seen"), two users named dave, unread counts, bob typing.
 * `npm run screenshots` writes them to docs/ (SCREENSHOTS_DIR); every e2e run makes them too, into
 * dist/screenshots, so the scene keeps working.
 *
 * The server stamps messages with its own time: the scene is written, the api stopped, the times
 * moved to fixed ones in its SQLite file, and the api started again. The pages run on a fixed
 * clock, in en-GB and London time, so the pictures change little from one run to the next.
 */
const OUT = process.env['SCREENSHOTS_DIR'] ?? 'dist/screenshots';
const outDir = isAbsolute(OUT) ? OUT : join(workspaceRoot, OUT);
const NOW = '2026-11-30T09:31:00Z';

test.use({ apiEnv: { NEW_SESSIONS_PER_MINUTE: '1000' } });

test('the screenshots of the README', async ({ api, browser }) => {
  test.setTimeout(120_000);
  const pool = new ClientPool(() => api.url);
  const connect = (username: string) =>
    pool.connect({ username, directory: 'paged' });
  const [alice, bob, dave, otherDave, carol, erin] = await Promise.all(
    ['alice', 'bob', 'dave', 'Dave', 'carol', 'erin'].map(connect),
  );
  void erin;

  // Written in the order of the times they get below.
  const times = new Map<string, string>();
  const ids = new Map<string, string>();
  const write = async (
    from: ConnectedUser,
    to: ConnectedUser,
    content: string,
    at: string,
  ) => {
    const message = await say(from, to, content);
    times.set(message.id, at);
    ids.set(content, message.id);
  };
  await write(carol, alice, 'Thanks for the review!', '2026-11-26T16:20:00Z');
  await write(alice, carol, 'Anytime!', '2026-11-26T16:25:00Z');
  await write(
    bob,
    alice,
    'Are we still on for the demo tomorrow?',
    '2026-11-29T19:42:00Z',
  );
  await write(alice, bob, 'Yes! 10 o’clock, room 4.', '2026-11-29T19:44:00Z');
  await write(bob, alice, 'Great, see you there', '2026-11-29T19:45:00Z');
  await write(
    dave,
    alice,
    'Hi Alice, it’s Dave from support.',
    '2026-11-30T08:55:00Z',
  );
  await write(
    bob,
    alice,
    'Slides are up: https://example.org/demo-slides',
    '2026-11-30T09:12:00Z',
  );
  await write(bob, alice, 'Feedback welcome before 10', '2026-11-30T09:13:00Z');
  await write(
    dave,
    alice,
    'Could you look at ticket 4521 today?',
    '2026-11-30T09:18:00Z',
  );
  await write(
    alice,
    bob,
    'Looks great. One typo on slide 3 (“recieve”).',
    '2026-11-30T09:20:00Z',
  );
  // Read markers, the server's: alice read everything but dave's; bob read alice's last message,
  // carol's browser holds alice's (delivered, not read).
  const receipts = [
    [alice, bob, { read: ids.get('Feedback welcome before 10') }],
    [alice, carol, { read: ids.get('Thanks for the review!') }],
    [
      bob,
      alice,
      { read: ids.get('Looks great. One typo on slide 3 (“recieve”).') },
    ],
    [carol, alice, { delivered: ids.get('Anytime!') }],
  ] as const;
  for (const [reader, sender, markers] of receipts) {
    const ack = await reader.client.receipt({
      userID: sender.session.userID,
      ...markers,
    });
    expect(ack).toEqual({ ok: true });
  }
  pool.closeAll();

  await api.stop();
  const db = new Database(api.env['SQLITE_PATH']);
  const move = db.prepare('UPDATE messages SET at = ? WHERE id = ?');
  db.transaction(() => {
    for (const [id, at] of times) move.run(new Date(at).toISOString(), id);
  })();
  db.close();
  const again = await startApi({ ...api.env, PORT: String(api.port) });
  const online = new ClientPool(() => again.url);
  try {
    // bob and the other Dave are online; dave, carol and erin are not.
    const [bobOnline] = await Promise.all(
      [bob, otherDave].map((user) =>
        online.connect({
          sessionID: user.session.sessionID,
          directory: 'paged',
        }),
      ),
    );
    const scene = {
      alice,
      url: again.url,
      bobID: bob.session.userID,
      // bob writes to alice while each picture is taken.
      bobTyping: () =>
        bobOnline.client.socket.emit('typing', {
          to: alice.session.userID,
          typing: true,
        }),
    };

    mkdirSync(outDir, { recursive: true });
    const desktop = { width: 1280, height: 800 };
    const phone = { width: 390, height: 844 };
    await shoot(
      browser,
      scene,
      { viewport: desktop },
      'chat-desktop-light.png',
      true,
    );
    await shoot(
      browser,
      scene,
      { viewport: desktop, colorScheme: 'dark' },
      'chat-desktop-dark.png',
      true,
    );
    await shoot(
      browser,
      scene,
      { viewport: phone, isMobile: true, hasTouch: true },
      'chat-phone.png',
      false,
    );
    await shoot(
      browser,
      scene,
      { viewport: phone, isMobile: true, hasTouch: true },
      'chat-phone-conversation.png',
      true,
    );
    for (const file of [
      'chat-desktop-light.png',
      'chat-desktop-dark.png',
      'chat-phone.png',
      'chat-phone-conversation.png',
    ])
      expect(existsSync(join(outDir, file))).toBe(true);
  } finally {
    online.closeAll();
    await again.stop();
  }
});

async function shoot(
  browser: Browser,
  scene: {
    alice: ConnectedUser;
    url: string;
    bobID: string;
    bobTyping: () => void;
  },
  options: BrowserContextOptions,
  file: string,
  withBob: boolean,
) {
  const context = await browser.newContext({
    locale: 'en-GB',
    timezoneId: 'Europe/London',
    deviceScaleFactor: 1,
    ...options,
  });
  try {
    const { session } = scene.alice;
    await context.addInitScript((sessionID) => {
      localStorage.setItem('sessionID', sessionID);
      localStorage.setItem('username', 'alice');
    }, session.sessionID);
    const page = await context.newPage();
    await page.clock.setFixedTime(new Date(NOW));
    await page.goto(withBob ? `${scene.url}/chat/${scene.bobID}` : scene.url);
    await expect(userItem(page, 'erin')).toBeAttached();
    await expect(
      userItem(page, 'dave').first().getByTestId('unread-badge'),
    ).toHaveText('2 unread');
    scene.bobTyping();
    await expect(
      withBob && page.viewportSize()?.width === 390
        ? page.getByTestId('peer-typing')
        : userItem(page, 'bob').getByTestId('user-typing'),
    ).toBeVisible();
    if (withBob) {
      await expect(page.getByTestId('message-content')).toHaveCount(6);
      await expect(page.getByTestId('message-seen')).toHaveText('Seen');
      await page.getByTestId('message-input').fill('See you at 10!');
    }
    // No caret, no focus ring: the picture shows the page, not the cursor.
    await page.evaluate(() =>
      (document.activeElement as HTMLElement | null)?.blur(),
    );
    await page.screenshot({ path: join(outDir, file), animations: 'disabled' });
  } finally {
    await context.close();
  }
}
