import {
  cspViolations,
  expect,
  messages,
  sendMessage,
  test,
  userItem,
} from './support/fixtures';

test('the app runs under its Content-Security-Policy without a violation, and an inline script is blocked', async ({
  api,
  join,
}) => {
  const response = await fetch(api.url);
  const csp = response.headers.get('content-security-policy');
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("connect-src 'self'");
  expect(response.headers.get('x-powered-by')).toBeNull();

  // The whole app: styles, its socket (websocket upgrade), a message both ways.
  const alice = await join('alice');
  const bob = await join('bob');
  await sendMessage(alice.page, 'bob', 'hello under CSP');
  await userItem(bob.page, 'alice').click();
  await expect(messages(bob.page)).toHaveText(['hello under CSP']);
  // Styled: the stylesheet and the components' styles applied.
  const background = await alice.page.evaluate(
    () => getComputedStyle(document.documentElement).backgroundColor,
  );
  expect(background).not.toBe('rgba(0, 0, 0, 0)');
  expect(cspViolations).toEqual([]);

  // Positive control: an injected inline script does not run, and the violation is seen.
  const ran = await alice.page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.injected = true';
    document.body.append(script);
    return (window as { injected?: boolean }).injected === true;
  });
  expect(ran).toBe(false);
  await expect.poll(() => cspViolations.length).toBeGreaterThan(0);
  expect(cspViolations.join('\n')).toMatch(/script-src/);
  // This one was on purpose: the guard of every test checks that nothing else was.
  cspViolations.length = 0;
});
