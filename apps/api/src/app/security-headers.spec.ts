import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type TestServer } from '../testing/chat-test-kit';
import { TempDir } from '../testing/temp-dir';

describe('security headers', () => {
  let server: TestServer;
  const dir = new TempDir();

  beforeAll(async () => {
    writeFileSync(
      join(dir.path, 'index.html'),
      '<!doctype html><title>app</title>',
    );
    server = await startServer({ NODE_ENV: 'production', WEB_DIST: dir.path });
  });
  afterAll(async () => {
    await server.app.close();
    dir.remove();
  });

  it.each(['/', '/healthz', '/no/such/file.js'])(
    'are set on %s, and X-Powered-By is not',
    async (path) => {
      const response = await fetch(`${server.url}${path}`);
      const header = (name: string) => response.headers.get(name);
      const csp = header('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(header('x-content-type-options')).toBe('nosniff');
      expect(header('x-frame-options')).toBe('DENY');
      expect(header('referrer-policy')).toBe('no-referrer');
      expect(header('x-powered-by')).toBeNull();
    },
  );
});
