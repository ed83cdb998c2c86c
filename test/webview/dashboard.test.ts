// The dashboard's real bundle in headless Chromium with recorded host messages: values on the
// charts, TensorBoard smoothing, live appends, alerts, click-through to the inspector, overlays.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DASHBOARD_STATE, type DashboardInit, type DashboardSnapshot, type DashboardState, type RunMetrics } from '../../src/webviews/dashboard/protocol';
import { jsonForScript } from '../../src/webviews/shared/html';
import { formatNumber } from '../../src/common/format';
import { THEMES, openApp } from './harness';

const STEPS = Array.from({ length: 20 }, (_, i) => i + 1);

/** A column as the host sends it: Float64Array, NaN where a value is missing. */
const f64 = (values: (number | null)[]) => Float64Array.from(values, (v) => v ?? NaN);
const columns = (values: Record<string, (number | null)[]>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, f64(v)]));

function run(id: string, values: Partial<Record<string, (number | null)[]>>, config: Record<string, unknown> = {}, nonFinite: Record<string, number[]> = {}): RunMetrics {
  return {
    runId: id,
    name: `run ${id}`,
    status: 'running',
    steps: f64(STEPS.slice(0, values.reward?.length ?? STEPS.length)),
    times: f64(STEPS.slice(0, values.reward?.length ?? STEPS.length).map((s) => 1_800_000_000 + 3 * s)),
    metrics: columns(values as Record<string, (number | null)[]>),
    recordedSteps: [4, 8, 12, 16, 20],
    config,
    nonFinite,
  };
}

const REWARD = STEPS.map((s) => (s % 3) / 2 + s / 40);
const BASE = {
  reward: REWARD,
  reward_std: STEPS.map(() => 0.1),
  entropy: STEPS.map((s) => (s < 12 ? 1.2 : 0.1)),
  loss: STEPS.map((s) => 0.5 / s),
  'completions/mean_length': STEPS.map(() => 30),
  my_custom_metric: STEPS.map((s) => s * 2),
};

async function openDashboard(snapshot: DashboardSnapshot, state: Partial<DashboardState> = {}, theme?: (typeof THEMES)[number]) {
  const init: DashboardInit = { state: { ...DEFAULT_DASHBOARD_STATE, runIds: snapshot.runs.map((r) => r.runId), ...state }, snapshot };
  const app = await openApp('dashboard', {
    theme,
    viewport: { width: 1400, height: 1000 },
    bodyHtml: `<div id="app"></div><script type="application/json" id="initial-state">${jsonForScript(init)}</script>`,
  });
  await app.page.waitForSelector('.chart-card canvas');
  return app;
}

/** Moves the crosshair with the keyboard to the n-th logged step and returns the chart's readout. */
async function readoutAt(app: Awaited<ReturnType<typeof openApp>>, metric: string, index: number): Promise<string> {
  const card = app.page.locator(`.chart-card[data-metric="${metric}"]`);
  await card.focus();
  await app.page.keyboard.press('End');
  for (let i = STEPS.length - 1; i > index; i--) await app.page.keyboard.press('ArrowLeft');
  return (await card.locator('.readout').textContent()) ?? '';
}

const snapshot = (runs: RunMetrics[]): DashboardSnapshot => ({ available: runs.map((r) => ({ runId: r.runId, name: r.name, status: r.status })), runs });

describe('dashboard', () => {
  it('charts every metric in its group, unknown names under Other', async () => {
    const app = await openDashboard(snapshot([run('a', BASE)]));
    try {
      const groups = await app.page.$$eval('.section', (els) => els.map((e) => [(e as HTMLElement).dataset.group, [...e.querySelectorAll('.chart-card')].map((c) => (c as HTMLElement).dataset.metric)]));
      assert.deepEqual(groups, [
        ['Reward', ['reward']],
        ['Policy', ['entropy']],
        ['Completions', ['completions/mean_length']],
        ['Optimization', ['loss']],
        ['Other', ['my_custom_metric']],
      ]);
      assert.deepEqual(app.errors, []);
      assert.deepEqual(await app.cspViolations(), []);
    } finally {
      await app.close();
    }
  });

  it('shows the given values at the crosshair (no smoothing)', async () => {
    const app = await openDashboard(snapshot([run('a', BASE)]), { smoothing: 0 });
    try {
      const text = await readoutAt(app, 'loss', 4);
      assert.equal(text, `step 5run a: ${formatNumber(0.5 / 5, 4)}`);
      const reward = await readoutAt(app, 'reward', 9);
      assert.equal(reward, `step 10run a: ${formatNumber(REWARD[9], 4)}`);
    } finally {
      await app.close();
    }
  });

  it('smooths with a debiased EMA identical to TensorBoard, raw value alongside', async () => {
    const app = await openDashboard(snapshot([run('a', BASE)]), { smoothing: 0.6 });
    try {
      let last = 0;
      const reference = REWARD.map((v, i) => {
        last = last * 0.6 + 0.4 * v;
        return last / (1 - Math.pow(0.6, i + 1));
      });
      for (const i of [0, 6, 13]) {
        const text = await readoutAt(app, 'reward', i);
        assert.equal(text, `step ${i + 1}run a: ${formatNumber(reference[i], 4)} (raw ${formatNumber(REWARD[i], 4)})`);
      }
    } finally {
      await app.close();
    }
  });

  it('resizes each chart with its card when the view is resized', async () => {
    const app = await openDashboard(snapshot([run('a', BASE)]));
    try {
      const sizes = () =>
        app.page.$eval('.chart-card[data-metric="reward"] .chart-canvas', (box) => {
          const canvas = box.querySelector('canvas')!;
          return { box: box.clientWidth, canvas: canvas.getBoundingClientRect().width };
        });
      const before = await sizes();
      assert.equal(Math.round(before.canvas), before.box);
      await app.page.setViewportSize({ width: 700, height: 1000 });
      for (let i = 0; i < 50 && Math.round((await sizes()).canvas) !== (await sizes()).box; i++) await app.page.waitForTimeout(20);
      const after = await sizes();
      assert.notEqual(after.box, before.box);
      assert.equal(Math.round(after.canvas), after.box);
    } finally {
      await app.close();
    }
  });

  it('appends live rows without rebuilding the charts', async () => {
    const half = Object.fromEntries(Object.entries(BASE).map(([k, v]) => [k, v.slice(0, 10)]));
    const app = await openDashboard(snapshot([run('a', half)]), { smoothing: 0 });
    try {
      await app.sendToApp({
        kind: 'notification',
        method: 'dashboard/metrics/didAppend',
        params: { runId: 'a', from: 10, steps: f64([11, 12]), times: f64([1, 2]), metrics: columns({ loss: [0.25, 0.125], reward: [1, 2], brand_new: [7, 8] }), nonFinite: {} },
      });
      await app.page.waitForSelector('.chart-card[data-metric="brand_new"]');
      await app.page.$eval('.chart-card[data-metric="loss"] canvas', (c) => ((c as unknown as { marked: boolean }).marked = true));
      const card = app.page.locator('.chart-card[data-metric="reward"]');
      await card.focus();
      await app.page.keyboard.press('End'); // crosshair at the last point
      assert.equal(await card.locator('.readout').textContent(), 'step 12run a: 2');
      // A repeated append (from ≠ current length) is ignored, not duplicated.
      await app.sendToApp({ kind: 'notification', method: 'dashboard/metrics/didAppend', params: { runId: 'a', from: 10, steps: f64([11]), times: f64([1]), metrics: columns({ reward: [99] }), nonFinite: {} } });
      await app.sendToApp({ kind: 'notification', method: 'dashboard/metrics/didAppend', params: { runId: 'a', from: 12, steps: f64([13]), times: f64([3]), metrics: columns({ loss: [0.1], reward: [3] }), nonFinite: {} } });
      await card.focus();
      await app.page.keyboard.press('End');
      assert.equal(await card.locator('.readout').textContent(), 'step 13run a: 3');
      // The last append touched existing metrics only: the same canvas was updated, not rebuilt.
      assert.equal(await app.page.$eval('.chart-card[data-metric="loss"] canvas', (c) => (c as unknown as { marked?: boolean }).marked), true);
      assert.equal(await app.page.locator('.chart-card').count(), 6);
    } finally {
      await app.close();
    }
  });

  it('raises alerts with the step where they began; clicking one opens the inspector there', async () => {
    // loss non-finite at step 16 (NaN in its column, and named in nonFinite); tokens_per_s missing
    // (null) on its first line and on the first line after a resume at step 10: no alarm for that.
    const metrics = {
      ...BASE,
      loss: BASE.loss.map((v, i) => (i === 15 ? null : v)),
      'completions/clipped_ratio': STEPS.map((s) => (s >= 7 ? 0.5 : 0)),
      'rlstudio/tokens_per_s': STEPS.map((s) => (s === 1 || s === 10 ? null : 900)),
    };
    const app = await openDashboard(snapshot([run('a', metrics, {}, { loss: [15] })]));
    try {
      const alerts = await app.page.$$eval('.alert', (els) => els.map((e) => [(e as HTMLElement).dataset.kind, Number((e as HTMLElement).dataset.step)]));
      assert.deepEqual(alerts, [
        ['length-limit', 7],
        ['entropy-collapse', 12],
        ['non-finite', 16],
      ]);
      await app.page.locator('.alert[data-kind="entropy-collapse"]').click();
      const command = await app.waitForPosted((m) => m.kind === 'command' && m.method === 'dashboard/inspector/open');
      assert.deepEqual(command.params, { runId: 'a', step: 12 });
    } finally {
      await app.close();
    }
  });

  it('charts metrics named __proto__, constructor and toString, also when they arrive live (issue 14, item 13)', async () => {
    // fromEntries, not a literal: `{ __proto__: … }` would set the object's prototype instead.
    const values = Object.fromEntries([['reward', [0.5, 0.6]], ['__proto__', [1, 2]], ['constructor', [3, 4]], ['toString', [5, 6]], ['hasOwnProperty', [7, 8]]]);
    const app = await openDashboard(snapshot([run('a', values)]), { smoothing: 0 });
    try {
      const charted = async () => (await app.page.$$eval('.chart-card', (els) => els.map((e) => (e as HTMLElement).dataset.metric))).sort();
      assert.deepEqual(await charted(), ['__proto__', 'constructor', 'hasOwnProperty', 'reward', 'toString']);
      // Built in the page and posted as the host's postMessage does (a structured clone defines each key
      // as an own property); Playwright's own argument transfer would assign `__proto__` as the prototype.
      await app.page.evaluate(() => {
        const metrics = Object.fromEntries([['__proto__', [NaN]], ['constructor', [11]], ['valueOf', [10]], ['reward', [0.7]]].map(([k, v]) => [k, new Float64Array(v as number[])]));
        const params = { runId: 'a', from: 2, steps: new Float64Array([3]), times: new Float64Array([9]), metrics, nonFinite: Object.fromEntries([['__proto__', [2]]]) };
        window.postMessage({ kind: 'notification', method: 'dashboard/metrics/didAppend', params }, '*');
      });
      await app.page.waitForSelector('.chart-card[data-metric="valueOf"]');
      const card = app.page.locator('.chart-card[data-metric="constructor"]');
      await card.focus();
      await app.page.keyboard.press('End');
      assert.equal(await card.locator('.readout').textContent(), 'step 3run a: 11');
      const alerts = await app.page.$$eval('.alert', (els) => els.map((e) => e.textContent));
      assert.deepEqual(alerts, ['⚠ Non-finite value (NaN or ±Inf) in __proto__ — from step 3']);
      assert.deepEqual(app.errors, []);
    } finally {
      await app.close();
    }
  });

  it('opens Compare Checkpoints on the run', async () => {
    const app = await openDashboard(snapshot([run('a', BASE)]));
    try {
      await app.page.locator('vscode-button', { hasText: 'Compare Checkpoints' }).click();
      const command = await app.waitForPosted((m) => m.kind === 'command' && m.method === 'dashboard/compare/open');
      assert.deepEqual(command.params, { runId: 'a' });
    } finally {
      await app.close();
    }
  });

  it('opens the inspector at the clicked point', async () => {
    const app = await openDashboard(snapshot([run('a', BASE)]), { smoothing: 0 });
    try {
      const card = app.page.locator('.chart-card[data-metric="loss"]');
      await card.focus();
      await app.page.keyboard.press('End');
      await app.page.keyboard.press('ArrowLeft');
      await app.page.keyboard.press('ArrowLeft');
      await app.page.keyboard.press('Enter');
      const command = await app.waitForPosted((m) => m.kind === 'command' && m.method === 'dashboard/inspector/open');
      assert.deepEqual(command.params, { runId: 'a', step: 18 });
      // A mouse click in the middle of the plot: a step near the middle of the run.
      const box = (await card.locator('canvas').boundingBox())!;
      await app.page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      const clicks = (await app.posted()).filter((m) => m.method === 'dashboard/inspector/open');
      const step = (clicks.at(-1)!.params as { step: number }).step;
      assert.ok(clicks.length === 2 && step > 5 && step < 16, `clicked step ${step}`);
    } finally {
      await app.close();
    }
  });

  it('zooms by dragging and resets, and keeps its state for a reload', async () => {
    const app = await openDashboard(snapshot([run('a', BASE)]));
    try {
      const box = (await app.page.locator('.chart-card[data-metric="loss"] canvas').boundingBox())!;
      await app.page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
      await app.page.mouse.down();
      await app.page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2, { steps: 4 });
      await app.page.mouse.up();
      const zoom = ((await app.state()) as DashboardState).zoom!;
      assert.ok(zoom && zoom.min > 3 && zoom.max < 18 && zoom.min < zoom.max, JSON.stringify(zoom));
      await app.page.locator('vscode-checkbox[label="Log scale"]').click();
      assert.equal(((await app.state()) as DashboardState).logScale, true);
      const reopened = await app.reopen();
      await reopened.page.waitForSelector('.chart-card canvas');
      assert.deepEqual(((await reopened.state()) as DashboardState).zoom, zoom);
      assert.ok(await reopened.waitForPosted((m) => m.kind === 'request' && m.method === 'dashboard/snapshot/get'));
      await reopened.close();
    } catch (error) {
      await app.close().catch(() => undefined);
      throw error;
    }
  });

  it('overlays runs, one colour each, with a diff of their configs', async () => {
    const a = run('a', BASE, { training: { learning_rate: 1e-5, max_steps: 20 }, model: { name: 'tiny' } });
    const b = run('b', { ...BASE, reward: REWARD.map((v) => v + 1) }, { training: { learning_rate: 3e-5, max_steps: 20 }, model: { name: 'tiny' } });
    const app = await openDashboard(snapshot([a, b]), { smoothing: 0 });
    try {
      const text = await readoutAt(app, 'reward', 2);
      assert.equal(text, `step 3run a: ${formatNumber(REWARD[2], 4)}run b: ${formatNumber(REWARD[2] + 1, 4)}`);
      const colours = await app.page.$$eval('.legend-item .swatch', (els) => els.map((e) => getComputedStyle(e).backgroundColor));
      assert.equal(new Set(colours).size, 2);
      const rows = await app.page.$$eval('.config-diff tr', (els) => els.map((e) => [...e.children].map((c) => c.textContent)));
      assert.deepEqual(rows, [
        ['key', 'run a', 'run b'],
        ['training.learning_rate', '0.00001', '0.00003'],
      ]);
      // Unticking a run asks the host for the new selection.
      await app.page.locator('vscode-checkbox[data-run="b"]').click();
      const select = await app.waitForPosted((m) => m.method === 'dashboard/runs/select');
      assert.deepEqual(select.params, { runIds: ['a'] });
    } finally {
      await app.close();
    }
  });

  for (const theme of THEMES) {
    it(`renders in the ${theme} theme (screenshot)`, async () => {
      const metrics = { ...BASE, 'completions/clipped_ratio': STEPS.map((s) => (s >= 7 ? 0.5 : 0)) };
      const app = await openDashboard(snapshot([run('a', metrics), run('b', { ...BASE, reward: REWARD.map((v) => v * 0.8) })]), {}, theme);
      try {
        const card = app.page.locator('.chart-card[data-metric="reward"]');
        const box = (await card.locator('canvas').boundingBox())!;
        await app.page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
        await app.screenshot(`dashboard-${theme}`);
        assert.deepEqual(app.errors, []);
      } finally {
        await app.close();
      }
    });
  }
});
