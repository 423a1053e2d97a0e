import { runJoins } from './joins';
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

    it('with receipts, the receivers send them as the web app does and the product accepts them', async () => {
      const result = await runLoad(target.urls, target.pids, {
        pairs: 2,
        messages: 100,
        payloadBytes: 64,
        rate: 200,
        window: 16,
        timeoutMs: 30_000,
        receipts: true,
      });

      expect(
        result.lost + result.duplicated + result.reordered + result.invalid,
      ).toBe(0);
      if (name === 'reference') {
        // The guide's messages have no id to name: nothing to send.
        expect(result.receipts).toEqual({ sent: 0, answers: {} });
        return;
      }
      // About 0.5 s of messages, one receipt per receiver per 250 ms at most.
      const { sent, answers } = result.receipts ?? { sent: 0, answers: {} };
      expect(sent).toBeGreaterThanOrEqual(2);
      expect(sent).toBeLessThanOrEqual(2 * 6);
      expect(Object.keys(answers).filter((key) => key !== 'none')).toEqual([
        'ok',
      ]);
    });
  },
);

/**
 * The joins scenario (joins.ts) on a few clients: every client's presence view ends correct, and a
 * server that does not answer `fetch users` ends the run as failed, within its bounds, not as a hang.
 * Each run stops its server itself.
 */
describe('joins', () => {
  it('20 guide-mode clients on the reference: every view knows every user, connected', async () => {
    const target = await startTarget('reference');
    try {
      const result = await runJoins(
        { url: target.urls[0], pid: target.pids[0], stop: () => target.stop() },
        {
          clients: 20,
          mode: 'guide',
          concurrency: 5,
          timeoutMs: 30_000,
          idleMs: 200,
        },
      );

      expect({
        ended: result.ended,
        error: result.error,
        connected: result.connected,
        correct: result.correct,
      }).toEqual({
        ended: 'complete',
        error: undefined,
        connected: 20,
        correct: 20,
      });
      // The guide's design: every client is listed to every later one, and announced to every earlier one.
      expect(result.listedUsers).toBe((20 * 21) / 2);
      expect(result.secondsToAllCorrect).not.toBeNull();
      expect(Number.isFinite(result.serverCpuSeconds)).toBe(true);
      expect(Number.isFinite(result.kibPerIdleConnection)).toBe(true);
    } finally {
      await target.stop();
    }
  });

  it('paged mode against a server without `fetch users` (the reference) fails within its bounds', async () => {
    const target = await startTarget('reference');
    try {
      const result = await runJoins(
        { url: target.urls[0], pid: target.pids[0], stop: () => target.stop() },
        {
          clients: 5,
          mode: 'paged',
          concurrency: 5,
          timeoutMs: 20_000,
          ackTimeoutMs: 1_000,
          idleMs: 200,
        },
      );

      expect(result.ended).toBe('failed');
      expect(result.error).toMatch(/fetch users/);
      expect(result.elapsedSeconds).toBeLessThan(15);
    } finally {
      await target.stop();
    }
  });
});

describe('paged directory', () => {
  it('60 paged-mode clients on the product (SQLite): every view has a full first page, all connected', async () => {
    const target = await startTarget('sqlite');
    try {
      const result = await runJoins(
        { url: target.urls[0], pid: target.pids[0], stop: () => target.stop() },
        {
          clients: 60,
          mode: 'paged',
          concurrency: 10,
          timeoutMs: 30_000,
          idleMs: 200,
        },
      );
      expect({
        ended: result.ended,
        error: result.error,
        correct: result.correct,
      }).toEqual({ ended: 'complete', error: undefined, correct: 60 });
    } finally {
      await target.stop();
    }
  });
});
