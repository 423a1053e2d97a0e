import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { ConfigValidationError } from '../config/app-config';
import { RecordingLogger } from '../testing/chat-test-kit';
import { createApp, displayHost, listen } from './create-app';

describe('createApp', () => {
  let app: INestApplication | undefined;
  let webDist: string;

  beforeAll(() => {
    webDist = mkdtempSync(join(tmpdir(), 'chat-web-'));
    writeFileSync(
      join(webDist, 'index.html'),
      '<!doctype html><title>chat</title><chat-root>',
    );
    writeFileSync(join(webDist, 'main.js'), 'console.log("web")');
  });

  afterAll(() => rmSync(webDist, { recursive: true, force: true }));

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(
    env: Record<string, string>,
    logger = new RecordingLogger(),
  ) {
    const created = await createApp(
      { PORT: '0', HOST: '127.0.0.1', STORE: 'memory', ...env },
      { logger },
    );
    app = created.app;
    const url = await listen(created.app, created.config);
    return { url, logger };
  }

  it('refuses to build with a bad variable, naming it', async () => {
    await expect(
      createApp({ PORT: 'nope' }, { logger: false }),
    ).rejects.toThrow(ConfigValidationError);
  });

  it('listens on the actual port when PORT=0', async () => {
    const { url } = await start({ NODE_ENV: 'test' });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toMatch(/:0$/);
  });

  describe('in production', () => {
    it('serves the web app, with index.html for client routes, and socket.io beside it', async () => {
      const { url } = await start({
        NODE_ENV: 'production',
        WEB_DIST: webDist,
      });
      const index = await fetch(`${url}/`);
      expect(index.status).toBe(200);
      expect(await index.text()).toContain('<chat-root>');
      expect(await (await fetch(`${url}/main.js`)).text()).toBe(
        'console.log("web")',
      );
      const deepLink = await fetch(`${url}/some/client/route`);
      expect(deepLink.status).toBe(200);
      expect(await deepLink.text()).toContain('<chat-root>');
      const handshake = await fetch(
        `${url}/socket.io/?EIO=4&transport=polling`,
      );
      expect(handshake.status).toBe(200);
      expect(await handshake.text()).toMatch(/^0\{"sid":/);
    });

    it('sends no CORS header to other origins by default', async () => {
      const { url } = await start({
        NODE_ENV: 'production',
        WEB_DIST: webDist,
      });
      const response = await fetch(
        `${url}/socket.io/?EIO=4&transport=polling`,
        {
          headers: { Origin: 'http://evil.example' },
        },
      );
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('warns and serves the api only when the web app is missing', async () => {
      const missing = join(webDist, 'nope');
      const { url, logger } = await start({
        NODE_ENV: 'production',
        WEB_DIST: missing,
      });
      expect(logger.has('warn', new RegExp(`no web app at ${missing}`))).toBe(
        true,
      );
      expect((await fetch(`${url}/`)).status).toBe(404);
      expect(
        (await fetch(`${url}/socket.io/?EIO=4&transport=polling`)).status,
      ).toBe(200);
    });
  });

  it('in development, allows the web dev server origin (CORS) and serves no web app', async () => {
    const { url } = await start({ NODE_ENV: 'development', WEB_DIST: webDist });
    const response = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, {
      headers: { Origin: 'http://localhost:4200' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBe(
      'http://localhost:4200',
    );
    expect((await fetch(`${url}/`)).status).toBe(404);
  });
});

describe('displayHost', () => {
  it.each([
    [undefined, 'localhost'],
    ['0.0.0.0', 'localhost'],
    ['::', 'localhost'],
    ['localhost', 'localhost'],
    ['127.0.0.1', '127.0.0.1'],
    ['chat.example.com', 'chat.example.com'],
    ['::1', '[::1]'],
  ])('shows %s as %s', (host, shown) => {
    expect(displayHost(host)).toBe(shown);
  });
});
