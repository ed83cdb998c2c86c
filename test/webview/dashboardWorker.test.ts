// The dashboard's chart worker in real Chromium under the webview CSP (issue 14, part 3): the lines
// are computed in the Web Worker (started from a blob: URL, `worker-src blob:`), and every chart —
// after a snapshot and after a live append — is drawn pixel for pixel as the main thread draws it
// where no worker may start (a CSP without worker-src), with the same hover readouts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DASHBOARD_STATE, type DashboardInit, type DashboardSnapshot } from '../../src/webviews/dashboard/protocol';
import { contentSecurityPolicy, jsonForScript } from '../../src/webviews/shared/html';
import { openApp } from './harness';

const ROWS = 6_000;

/** Deterministic noise (a linear congruential generator): the same data in both pages. */
function noise(seed: number): () => number {
  let state = seed;
  return () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

/** Two runs of metrics with NaN gaps, an Infinity, a ±std band and a metric that starts late. */
function snapshot(): DashboardSnapshot {
  const random = noise(7);
  const column = (f: (i: number) => number) => Float64Array.from({ length: ROWS }, (_, i) => f(i));
  const run = (id: string, offset: number) => ({
    runId: id,
    name: `run ${id}`,
    status: 'running',
    steps: column((i) => i + 1),
    times: column((i) => 1_800_000_000 + 2 * i + offset),
    metrics: {
      reward: column((i) => (random() < 0.05 ? NaN : Math.sin(i / 300) + random() * 0.3 + offset)),
      reward_std: column(() => 0.1 + random() * 0.05),
      loss: column((i) => (i === 1_000 ? Infinity : i > 2_000 && i < 2_300 ? NaN : 1 / (1 + i / 500) + random() * 0.01)),
      kl: column((i) => (i < 3_000 ? NaN : random() * 1e-3)),
    },
    recordedSteps: [],
    config: {},
    nonFinite: { loss: [1_000] },
  });
  const runs = [run('a', 0), run('b', 0.5)];
  return { available: runs.map((r) => ({ runId: r.runId, name: r.name, status: r.status })), runs };
}

/** No worker may start under this policy (the extension's, less `worker-src blob:`). */
const noWorkers = (origin: string, nonce: string) => contentSecurityPolicy(origin, nonce).replace(/; worker-src [^;]*/, '');

async function open(csp?: (origin: string, nonce: string) => string) {
  const data = snapshot();
  const init: DashboardInit = { state: { ...DEFAULT_DASHBOARD_STATE, runIds: ['a', 'b'], smoothing: 0.6 }, snapshot: data };
  const app = await openApp('dashboard', {
    csp,
    viewport: { width: 1200, height: 1600 },
    bodyHtml: `<div id="app"></div><script type="application/json" id="initial-state">${jsonForScript(init)}</script>`,
  });
  await drawn(app.page, 1);
  return app;
}

type Page = Awaited<ReturnType<typeof openApp>>['page'];

/** Waits until every card's chart has been drawn `times` times (with lines), and returns who drew them. */
async function drawn(page: Page, times: number): Promise<string[]> {
  await page.waitForSelector('.chart-card[data-metric]');
  for (let i = 0; i < 500; i++) {
    const draws = await page.$$eval('.chart-card[data-metric]', (cards) => cards.map((c) => Number((c as HTMLElement).dataset.draws ?? 0)));
    if (draws.length > 0 && draws.every((n) => n >= times)) return page.$$eval('.chart-card[data-metric]', (cards) => cards.map((c) => (c as HTMLElement).dataset.drawn ?? ''));
    await page.waitForTimeout(20);
  }
  throw new Error(`the charts were not all drawn ${times} time(s)`);
}

/** Every chart's pixels, by metric. */
async function pixels(page: Page): Promise<Record<string, string>> {
  return Object.fromEntries(await page.$$eval('.chart-card[data-metric]', (cards) => cards.map((c) => [(c as HTMLElement).dataset.metric!, c.querySelector('canvas')!.toDataURL()])));
}

async function readout(page: Page, metric: string, lefts: number): Promise<string> {
  const card = page.locator(`.chart-card[data-metric="${metric}"]`);
  await card.focus();
  await page.keyboard.press('End');
  for (let i = 0; i < lefts; i++) await page.keyboard.press('ArrowLeft');
  return (await card.locator('.readout').textContent()) ?? '';
}

describe('dashboard chart worker', () => {
  it('draws every chart in the worker exactly as the main thread does, after a snapshot and a live append', async () => {
    const worker = await open();
    const main = await open(noWorkers);
    try {
      assert.deepEqual(worker.errors, []);
      const byWorker = await drawn(worker.page, 1);
      assert.ok(byWorker.length >= 3, `charts: ${byWorker.length}`);
      assert.deepEqual(new Set(byWorker), new Set(['worker']));
      // Where the CSP refuses the worker, the main thread draws, and says why in the console.
      assert.deepEqual(new Set(await drawn(main.page, 1)), new Set(['main']));
      assert.ok(main.errors.some((e) => /chart worker (did not start|failed)/.test(e)), main.errors.join('\n'));

      const before = await pixels(worker.page);
      assert.deepEqual(before, await pixels(main.page));

      // A live append (new rows only, to both pages): drawn again, still the same pixels.
      const append = {
        kind: 'notification' as const,
        method: 'dashboard/metrics/didAppend' as const,
        params: {
          runId: 'a',
          from: ROWS,
          steps: Float64Array.from([ROWS + 1, ROWS + 2]),
          times: Float64Array.from([1_800_020_000, 1_800_020_002]),
          metrics: { reward: Float64Array.from([5, NaN]), reward_std: Float64Array.from([0.2, 0.2]), loss: Float64Array.from([0.01, 0.02]) },
          nonFinite: {},
        },
      };
      const drawsOf = (app: typeof worker) => app.page.$$eval('.chart-card[data-metric="reward"], .chart-card[data-metric="loss"]', (cards) => cards.map((c) => Number((c as HTMLElement).dataset.draws)));
      for (const app of [worker, main]) {
        const draws = await drawsOf(app);
        await app.sendToApp(append);
        // The charts of the appended metrics are drawn again (the others are left as they are).
        for (let i = 0; (await drawsOf(app)).some((n, k) => n <= draws[k]); i++) {
          assert.ok(i < 500, 'the appended charts were not drawn again');
          await app.page.waitForTimeout(20);
        }
      }
      const after = await pixels(worker.page);
      assert.notEqual(after.reward, before.reward, 'the append changed the reward chart');
      assert.deepEqual(after, await pixels(main.page));

      // Hover readouts (read from the main thread's columns) are unchanged.
      for (const [metric, lefts] of [['reward', 0], ['reward', 2], ['loss', 30], ['kl', 5]] as const) {
        assert.equal(await readout(worker.page, metric, lefts), await readout(main.page, metric, lefts));
      }
      assert.deepEqual(worker.errors, []);
    } finally {
      await worker.close();
      await main.close();
    }
  });
});
