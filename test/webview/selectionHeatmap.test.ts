// The dashboard's Selection heatmap in the real bundle in headless Chromium: the host's answers come
// from the real SelectionLog over a selection.jsonl written here in the documented line format
// (docs/run-format.md). Counts per cell (through the hover text, by pointer and by keyboard), the
// colour of a cell, the legend, a line appended while the run trains, and a run without the file.

import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SelectionLog } from '../../src/runs/selectionLog';
import { DEFAULT_DASHBOARD_STATE, type DashboardInit, type DashboardSnapshot, type RunMetrics } from '../../src/webviews/dashboard/protocol';
import { jsonForScript } from '../../src/webviews/shared/html';
import { countScale } from '../../src/common/colorScale';
import { HEIGHT, MARGIN } from '../../webview/dashboard/selectionHeatmap';
import { RESULTS_DIR, openApp, serveRequests } from './harness';

const STEPS = [1, 2, 3, 4];
/** Prompts chosen per step by bin (bin → count), by construction; estimates sit inside their bin. */
const TABLE: Record<number, Record<number, number>> = {
  1: { 0: 1, 4: 2, 5: 3 },
  2: { 4: 1, 5: 4, 9: 2 },
  3: { 5: 5, 6: 1 },
  4: { 1: 1, 9: 1 },
};
/** Estimates on an edge: 0.1 is in bin 1 (0.1–0.2), 1.0 in the last bin (0.9–1.0). */
const ESTIMATE = (bin: number, k: number) => (bin === 1 ? 0.1 : bin === 9 && k === 0 ? 1 : bin / 10 + 0.05);

function selectionLine(step: number, table: Record<number, number>, unestimated = 0): string {
  const prompts: object[] = [];
  let index = 0;
  for (const [bin, count] of Object.entries(table)) {
    for (let k = 0; k < count; k++) prompts.push({ dataset_index: index++, estimate: ESTIMATE(Number(bin), k), basis: 'predicted', reason: 'target', observed: 0.5 });
  }
  for (let k = 0; k < unestimated; k++) prompts.push({ dataset_index: index++, estimate: null, basis: 'none', reason: 'explore', observed: null });
  return JSON.stringify({ step, prompts }) + '\n';
}

const f64 = (values: number[]) => Float64Array.from(values);

function run(id: string, steps: number[]): RunMetrics {
  return {
    runId: id,
    name: `run ${id}`,
    status: 'running',
    steps: f64(steps),
    times: f64(steps.map((s) => 1_800_000_000 + s)),
    metrics: {
      reward: f64(steps.map((s) => s / 10)),
      'selection/estimate_p10': f64(steps.map(() => 0.2)),
      'selection/estimate_p50': f64(steps.map(() => 0.5)),
      'selection/estimate_p90': f64(steps.map(() => 0.8)),
    },
    nonFinite: {},
    recordedSteps: [],
    config: {},
  };
}

async function openWithSelection(files: Record<string, string>, runs: RunMetrics[]) {
  const snapshot: DashboardSnapshot = { available: runs.map((r) => ({ runId: r.runId, name: r.name, status: r.status })), runs };
  const init: DashboardInit = { state: { ...DEFAULT_DASHBOARD_STATE, runIds: runs.map((r) => r.runId) }, snapshot };
  const app = await openApp('dashboard', {
    viewport: { width: 1400, height: 1000 },
    bodyHtml: `<div id="app"></div><script type="application/json" id="initial-state">${jsonForScript(init)}</script>`,
  });
  const logs = new Map(Object.entries(files).map(([id, file]) => [id, new SelectionLog(file)]));
  const server = serveRequests(app, { 'dashboard/selection/get': (p) => logs.get(p.runId as string)!.histogram() });
  return { app, close: async () => (await server.stop(), await app.close()) };
}

const count = (step: number, bin: number) => TABLE[step]?.[bin] ?? 0;
const text = (step: number, bin: number) => `step ${step} · difficulty ${(bin / 10).toFixed(1)}–${((bin + 1) / 10).toFixed(1)} · ${count(step, bin)} prompt${count(step, bin) === 1 ? '' : 's'}`;

describe('selection heatmap', () => {
  it('shows per step and bin the number of chosen prompts of selection.jsonl, by pointer and by keyboard', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlstudio-heatmap-'));
    const file = join(dir, 'selection.jsonl');
    writeFileSync(file, STEPS.map((s) => selectionLine(s, TABLE[s], s === 1 ? 2 : 0)).join(''));
    const { app, close } = await openWithSelection({ a: file }, [run('a', STEPS)]);
    try {
      const card = app.page.locator('[data-group="Selection"] .heatmap-card');
      await card.waitFor();
      // First in the Selection section, before the percentile charts, which stay.
      const metrics = await app.page.$$eval('[data-group="Selection"] .chart-grid > *', (els) => els.map((e) => (e as HTMLElement).dataset.metric ?? 'heatmap'));
      assert.deepEqual(metrics, ['heatmap', 'selection/estimate_p10', 'selection/estimate_p50', 'selection/estimate_p90']);
      const hover = card.locator('.heatmap-hover');
      const canvas = card.locator('canvas');
      const box = (await canvas.boundingBox())!;
      const plot = { w: box.width - MARGIN.left - MARGIN.right, h: HEIGHT - MARGIN.top - MARGIN.bottom };
      const centre = (step: number, bin: number) => ({
        x: MARGIN.left + ((step - 1 + 0.5) * plot.w) / STEPS.length,
        y: MARGIN.top + ((9 - bin + 0.5) * plot.h) / 10,
      });
      // Every cell by pointer.
      for (const step of STEPS) {
        for (let bin = 0; bin < 10; bin++) {
          await canvas.hover({ position: centre(step, bin) });
          assert.equal(await hover.textContent(), text(step, bin), `step ${step}, bin ${bin}`);
        }
      }
      // The colour of a cell is its count's bin of the shared count scale; an empty cell is not painted.
      const scale = countScale(5);
      const pixel = (p: { x: number; y: number }) =>
        canvas.evaluate((c: HTMLCanvasElement, at) => [...c.getContext('2d')!.getImageData(Math.round(at.x * devicePixelRatio), Math.round(at.y * devicePixelRatio), 1, 1).data], p);
      const [r, g, b, a] = await pixel(centre(3, 5)); // 5 prompts: the darkest bin
      const [er, eg, eb, ea] = scale.colors.at(-1)!.match(/[\d.]+/g)!.map(Number);
      assert.ok(Math.abs(r - er) <= 3 && Math.abs(g - eg) <= 3 && Math.abs(b - eb) <= 3 && Math.abs(a - ea * 255) <= 3, `cell colour ${[r, g, b, a]}`);
      assert.equal((await pixel(centre(3, 0)))[3], 0, 'an empty cell is not painted');
      // Legend: the count scale's labels; the prompts without an estimate are said, not drawn.
      assert.deepEqual(await card.locator('.heatmap-legend .legend-bin').allTextContents(), scale.labels);
      assert.equal(await card.locator('.heatmap-notes').textContent(), '2 chosen prompts had no estimate yet (not drawn).');
      // Keyboard: focus starts on the first step's fullest bin; arrows move by step and bin.
      await app.page.mouse.move(0, 0);
      assert.equal(await hover.textContent(), '', 'the pointer left the canvas');
      await canvas.focus();
      assert.equal(await hover.textContent(), text(1, 5));
      await app.page.keyboard.press('ArrowRight');
      assert.equal(await hover.textContent(), text(2, 5));
      await app.page.keyboard.press('ArrowUp');
      await app.page.keyboard.press('ArrowUp');
      await app.page.keyboard.press('ArrowUp');
      await app.page.keyboard.press('ArrowUp');
      assert.equal(await hover.textContent(), text(2, 9));
      await app.page.keyboard.press('ArrowUp'); // stays in the top bin
      await app.page.keyboard.press('End');
      assert.equal(await hover.textContent(), text(4, 9));
      await canvas.blur();
      assert.equal(await hover.textContent(), '', 'leaving the canvas clears the readout');
      mkdirSync(RESULTS_DIR, { recursive: true });
      await card.screenshot({ path: join(RESULTS_DIR, 'selection-heatmap.png') });
      assert.deepEqual(app.errors, []);
      assert.deepEqual(await app.cspViolations(), []);
    } finally {
      await close();
    }
  });

  it('adds the step of a line appended while the run trains', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlstudio-heatmap-'));
    const file = join(dir, 'selection.jsonl');
    writeFileSync(file, selectionLine(1, { 2: 1 }));
    const { app, close } = await openWithSelection({ a: file }, [run('a', [1])]);
    try {
      const card = app.page.locator('.heatmap-card');
      await card.waitFor();
      await card.locator('canvas').focus();
      assert.equal(await card.locator('.heatmap-hover').textContent(), 'step 1 · difficulty 0.2–0.3 · 1 prompt');
      appendFileSync(file, selectionLine(2, { 7: 3 }));
      await app.sendToApp({
        kind: 'notification',
        method: 'dashboard/metrics/didAppend',
        params: { runId: 'a', from: 1, steps: f64([2]), times: f64([1_800_000_002]), metrics: { 'selection/estimate_p50': f64([0.7]) }, nonFinite: {} },
      });
      // The app asks the host again (selection/ metrics were appended); End reaches the new step once it is drawn.
      const hover = card.locator('.heatmap-hover');
      for (const deadline = Date.now() + 10_000; !(await hover.textContent())!.startsWith('step 2'); ) {
        assert.ok(Date.now() < deadline, 'step 2 never appeared');
        await app.page.keyboard.press('End');
        await app.page.waitForTimeout(50);
      }
      await app.page.keyboard.press('ArrowUp'); // from bin 2 … up to bin 7
      for (let i = 0; i < 4; i++) await app.page.keyboard.press('ArrowUp');
      assert.equal(await card.locator('.heatmap-hover').textContent(), 'step 2 · difficulty 0.7–0.8 · 3 prompts');
    } finally {
      await close();
    }
  });

  it('shows no heatmap for a run without selection.jsonl, and names a bad line of the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlstudio-heatmap-'));
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, selectionLine(1, { 3: 2 }) + '{"step": 2, oops}\n');
    const { app, close } = await openWithSelection({ none: join(dir, 'missing.jsonl'), bad }, [run('none', [1]), run('bad', [1])]);
    try {
      const cards = app.page.locator('.heatmap-card');
      await cards.first().waitFor();
      await app.page.waitForTimeout(300); // both runs were asked
      assert.equal(await cards.count(), 1);
      assert.equal(await cards.first().getAttribute('data-run'), 'bad');
      assert.match((await cards.first().locator('.heatmap-notes .error').textContent())!, /^bad\.jsonl line 2: /);
      assert.equal(await app.page.locator('[data-group="Selection"] .chart-card[data-metric]').count(), 3, 'the percentile charts stay');
    } finally {
      await close();
    }
  });
});
