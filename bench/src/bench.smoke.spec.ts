import { runLoad } from './load';
import { startTarget, type Target, type TargetName } from './servers';

/**
 * The benchmark measures what it claims: a few clients, a few hundred messages, against the
 * reference server and the built product; every message arrives exactly once and in order.
 * Speed figures are never asserted (they depend on the machine).
 * Needs `nx run bench:build` and `nx run-many -t build -p api web` (the test target depends on them).
 */
describe.each<TargetName>(['reference', 'sqlite'])(
  'bench against %s',
  (name) => {
    let target: Target;

    beforeAll(async () => {
      target = await startTarget(name);
    });

    afterAll(async () => {
      await target?.stop();
    });

    it('delivers every message exactly once and in order, and measures it', async () => {
      const result = await runLoad(target.urls, target.pids, {
        pairs: 4,
        messages: 100,
        payloadBytes: 64,
        window: 8,
        timeoutMs: 30_000,
      });

      expect({
        sent: result.sent,
        delivered: result.delivered,
        lost: result.lost,
        duplicated: result.duplicated,
        reordered: result.reordered,
        invalid: result.invalid,
        timedOut: result.timedOut,
      }).toEqual({
        sent: 400,
        delivered: 400,
        lost: 0,
        duplicated: 0,
        reordered: 0,
        invalid: 0,
        timedOut: false,
      });
      expect(result.latencyMs.max).toBeGreaterThanOrEqual(result.latencyMs.p50);
      expect(Number.isFinite(result.serverCpuSeconds)).toBe(true);
      expect(result.serverRssMiB).toBeGreaterThan(0);
    });

    it('with a rate, paces the senders and still loses nothing', async () => {
      const result = await runLoad(target.urls, target.pids, {
        pairs: 2,
        messages: 50,
        payloadBytes: 200,
        rate: 500,
        window: 16,
        timeoutMs: 30_000,
      });

      expect(
        result.lost + result.duplicated + result.reordered + result.invalid,
      ).toBe(0);
      // 100 messages at 500/s cannot take much less than 0.2 s.
      expect(result.durationSeconds).toBeGreaterThan(0.15);
    });
  },
);
