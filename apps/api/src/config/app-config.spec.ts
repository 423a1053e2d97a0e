import { resolve } from 'node:path';
import { ConfigValidationError, validateEnv } from './app-config';

describe('validateEnv', () => {
  it('applies defaults for development', () => {
    expect(validateEnv({}, '/repo')).toEqual({
      nodeEnv: 'development',
      port: 3000,
      host: undefined,
      corsOrigins: ['http://localhost:4200'],
      store: 'memory',
      webDist: resolve('/repo', 'dist/apps/web/browser'),
      maxPayloadBytes: 2 * 1024 * 1024,
      rateLimit: { perSecond: 20, burst: 40 },
    });
  });

  it('needs no CORS origin in production (same origin)', () => {
    expect(validateEnv({ NODE_ENV: 'production' }).corsOrigins).toEqual([]);
  });

  it('reads every variable', () => {
    expect(
      validateEnv(
        {
          NODE_ENV: 'production',
          PORT: '0',
          HOST: '127.0.0.1',
          CORS_ORIGIN: 'https://chat.example.com, http://localhost:4200',
          STORE: 'memory',
          WEB_DIST: '/srv/web',
          MAX_PAYLOAD_BYTES: '65536',
          RATE_LIMIT_PER_SECOND: '0.5',
          RATE_LIMIT_BURST: '10',
        },
        '/repo',
      ),
    ).toEqual({
      nodeEnv: 'production',
      port: 0,
      host: '127.0.0.1',
      corsOrigins: ['https://chat.example.com', 'http://localhost:4200'],
      store: 'memory',
      webDist: '/srv/web',
      maxPayloadBytes: 65536,
      rateLimit: { perSecond: 0.5, burst: 10 },
    });
  });

  it('treats empty strings as unset', () => {
    expect(validateEnv({ PORT: '', CORS_ORIGIN: '' }).port).toBe(3000);
  });

  it('ignores unrelated variables', () => {
    expect(() =>
      validateEnv({ PATH: '/usr/bin', HOME: '/root' }),
    ).not.toThrow();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '3.5'],
    ['NODE_ENV', 'staging'],
    ['STORE', 'redis'],
    ['CORS_ORIGIN', 'localhost:4200'],
    ['CORS_ORIGIN', 'http://localhost:4200/path'],
    ['MAX_PAYLOAD_BYTES', '10'],
    ['RATE_LIMIT_PER_SECOND', '0'],
    ['RATE_LIMIT_BURST', '-1'],
  ])(
    'stops on %s=%s with a message naming the variable and the value',
    (name, value) => {
      expect(() => validateEnv({ [name]: value })).toThrow(
        ConfigValidationError,
      );
      expect(() => validateEnv({ [name]: value })).toThrow(
        new RegExp(
          `${name}: .+ \\(got "${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"\\)`,
        ),
      );
    },
  );

  it('lists every bad variable at once', () => {
    try {
      validateEnv({ PORT: 'x', STORE: 'y' });
      throw new Error('expected a ConfigValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigValidationError);
      expect((error as ConfigValidationError).problems).toHaveLength(2);
      expect((error as Error).message).toMatch(
        /^Invalid configuration:\n {2}- PORT: .*\n {2}- STORE: /,
      );
    }
  });
});
