import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRedisServer, type RedisServerProcess } from '@chat/test-support';
import {
  eventually,
  startServer,
  type TestServer,
} from '../testing/chat-test-kit';
import { TempDir } from '../testing/temp-dir';

const get = (server: TestServer, path: string) => fetch(`${server.url}${path}`);

describe('health checks', () => {
  let server: TestServer | undefined;
  const dir = new TempDir();

  afterEach(async () => {
    await server?.app.close();
    server = undefined;
  });
  afterAll(() => dir.remove());

  it('answers /healthz and /readyz with the store up (memory)', async () => {
    server = await startServer();
    const live = await get(server, '/healthz');
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok' });
    const ready = await get(server, '/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      details: { store: { status: 'up' } },
    });
  });

  it('reads SQLite for /readyz, and never serves the web app there in production', async () => {
    const web = dir.path;
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>app</title>');
    server = await startServer({
      NODE_ENV: 'production',
      STORE: 'sqlite',
      SQLITE_PATH: dir.file(),
      WEB_DIST: web,
    });
    for (const path of ['/healthz', '/readyz']) {
      const response = await get(server, path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/json/);
    }
    expect(await (await get(server, '/readyz')).json()).toMatchObject({
      details: { store: { status: 'up' } },
    });
    // Any other path still falls back to the web app.
    expect(await (await get(server, '/some/deep/link')).text()).toContain(
      '<title>app</title>',
    );
  });

  describe('with Redis', () => {
    let redis: RedisServerProcess;

    beforeEach(async () => {
      redis = await startRedisServer();
    });
    afterEach(() => redis.stop());

    it('is not ready while Redis is down (503), alive all along, and ready again once it is back', async () => {
      server = await startServer({ STORE: 'redis', REDIS_URL: redis.url });
      const node = server;
      expect((await get(node, '/readyz')).status).toBe(200);
      expect(await (await get(node, '/readyz')).json()).toMatchObject({
        details: { store: { status: 'up' }, redis: { status: 'up' } },
      });
      await redis.stop();
      await eventually(
        async () => (await get(node, '/readyz')).status === 503,
        '/readyz answering 503',
      );
      expect(await (await get(node, '/readyz')).json()).toMatchObject({
        status: 'error',
        error: { redis: { status: 'down' } },
      });
      expect((await get(node, '/healthz')).status).toBe(200);
      await redis.restart();
      await eventually(
        async () => (await get(node, '/readyz')).status === 200,
        '/readyz answering 200 again',
        10_000,
      );
    });
  });
});
