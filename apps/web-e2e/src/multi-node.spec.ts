import { test as base } from '@playwright/test';
import { redisForTests, startApi, type ApiProcess } from '@chat/test-support';
import {
  expect,
  messages,
  openChat,
  sendMessage,
  userStatus,
} from './support/fixtures';

/** Two api processes sharing one Redis: alice's browser talks to one, bob's to the other. */
const test = base.extend<{ nodes: [ApiProcess, ApiProcess] }>({
  // eslint-disable-next-line no-empty-pattern
  nodes: async ({}, use) => {
    const redis = await redisForTests();
    const env = {
      STORE: 'redis',
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
    };
    const nodes = await Promise.all([startApi(env), startApi(env)]);
    try {
      await use([nodes[0], nodes[1]]);
    } finally {
      await Promise.all(nodes.map((node) => node.stop()));
      await redis.stop();
    }
  },
});

test('alice and bob on different nodes chat as if there were one', async ({
  browser,
  nodes,
}) => {
  const [one, two] = nodes;
  const alice = await openChat(browser, one.url, 'alice');
  const bob = await openChat(browser, two.url, 'bob');
  try {
    await expect(userStatus(alice.page, 'bob')).toHaveText('online');
    await expect(userStatus(bob.page, 'alice')).toHaveText('online');

    await sendMessage(alice.page, 'bob', 'Hello from node one');
    await sendMessage(bob.page, 'alice', 'Hello from node two');
    await expect(messages(alice.page)).toHaveText([
      'Hello from node one',
      'Hello from node two',
    ]);
    await expect(messages(bob.page)).toHaveText([
      'Hello from node one',
      'Hello from node two',
    ]);

    // A reload keeps bob's identity and the conversation stored through Redis.
    await bob.page.reload();
    await sendMessage(bob.page, 'alice', 'Still me after a reload');
    const all = [
      'Hello from node one',
      'Hello from node two',
      'Still me after a reload',
    ];
    await expect(messages(bob.page)).toHaveText(all);
    await expect(messages(alice.page)).toHaveText(all);

    await bob.close();
    await expect(userStatus(alice.page, 'bob')).toHaveText('offline');
  } finally {
    await Promise.all([alice.close(), bob.close()]);
  }
});
