// Webview rendering benchmark, in headless Chromium with the real bundles (build first: npm run build).
//
//   node --import tsx bench/webview_render.ts
//
// Measures, from the host message's arrival in the page to the next produced frame:
//   inspector: first paint of a 32k-token completion; a step of 1,024 rollouts listed; scrolling that
//              list from top to bottom (longest frame, long tasks);
//   dashboard: 20 series × 100k points rendered in a 2,400 px high page, all 20 charts on screen (with
//              the number of charts drawn in that frame and, apart, the time to deserialise that message);
//              one live append of a row (every chart updated);
//              the same snapshot in a 1280 × 800 view (charts off screen are drawn when scrolled to);
//              the 20 × 100k render again "with a CPU-bound neighbour": one process that keeps every core
//              busy (a spinning thread per core, as a trainer's torch threads do) runs meanwhile.
// Prints a table (median of RUNS runs). Not a pass/fail test.

import type { Browser } from 'playwright-core';
import { armChartsDrawnProbe, armChartsRedrawnProbe, armPaintProbe, lastDeserializeMs, launch, openApp, readPaintProbe, readPaintedCount, type AppPage } from './webview_render.page';
import { bigMetrics, bigStep, longRollout } from './webview_render.data';
import { busyNeighbour } from './webview_render.neighbour';
import { DEFAULT_INSPECTOR_STATE, type InspectorInit } from '../src/webviews/inspector/protocol';
import { DEFAULT_DASHBOARD_STATE, type DashboardInit, type DashboardSnapshot } from '../src/webviews/dashboard/protocol';

const RUNS = Number(process.env.RUNS ?? 3);

interface Row {
  measure: string;
  target: string;
  values: number[];
  unit: string;
}

async function main(): Promise<void> {
  const browser = await launch();
  const rows: Row[] = [
    { measure: 'inspector: 32k-token completion, first paint', target: '≤ 150 ms', values: [], unit: 'ms' },
    { measure: 'inspector: 1,024-rollout step listed', target: 'smooth', values: [], unit: 'ms' },
    { measure: 'inspector: scroll 1,024 rollouts, longest frame', target: 'no long tasks', values: [], unit: 'ms' },
    { measure: 'inspector: scroll 1,024 rollouts, long tasks (> 50 ms)', target: '0', values: [], unit: '' },
    { measure: 'dashboard: 20 series × 100k points rendered', target: '≤ 150 ms', values: [], unit: 'ms' },
    { measure: 'dashboard: charts drawn in that frame (of 20)', target: '20', values: [], unit: '' },
    { measure: 'dashboard: that snapshot deserialised (before rendering)', target: '—', values: [], unit: 'ms' },
    { measure: 'dashboard: live append (1 row, 20 metrics) on screen', target: '≤ 1 s', values: [], unit: 'ms' },
    { measure: 'dashboard: same 20 × 100k in a 1280 × 800 view', target: '≤ 300 ms', values: [], unit: 'ms' },
    { measure: 'dashboard: charts drawn in that frame (the rest on scroll)', target: '—', values: [], unit: '' },
    { measure: 'dashboard: 20 × 100k rendered, with a CPU-bound neighbour', target: '≤ 300 ms', values: [], unit: 'ms' },
    { measure: 'dashboard: charts drawn in that frame (of 20), with the neighbour', target: '20', values: [], unit: '' },
  ];
  const rollout = longRollout(32_000);
  const step = bigStep(1024, 8);
  const metrics = bigMetrics(20, 100_000);

  for (let run = 0; run < RUNS; run++) {
    // --- inspector --------------------------------------------------------------------------
    const init: InspectorInit = { state: { ...DEFAULT_INSPECTOR_STATE, runId: 'bench', step: 1 }, run: null };
    const inspector = await openApp(browser, 'inspector', { initialState: init });
    // Navigate like the dashboard does; answer the step and the rollout by hand to time each.
    await inspector.page.waitForSelector('.toolbar');
    await inspector.send({ kind: 'notification', method: 'inspector/steps/didChange', params: { runId: 'bench', runName: 'bench', steps: [1] } });
    const stepRequest = await waitForRequest(inspector.posted, 'rollouts/step/get');
    await armPaintProbe(inspector.page, '.rollout-row', 10);
    await inspector.send({ kind: 'response', id: stepRequest, result: step });
    rows[1].values.push(await readPaintProbe(inspector.page));
    const rolloutRequest = await waitForRequest(inspector.posted, 'rollouts/rollout/get');
    await armPaintProbe(inspector.page, '.tok', 100);
    await inspector.send({ kind: 'response', id: rolloutRequest, result: rollout });
    rows[0].values.push(await readPaintProbe(inspector.page));
    const scroll = (await inspector.page.evaluate(`new Promise((resolve) => {
      const list = document.querySelector('.rollout-list');
      let longTasks = 0;
      new PerformanceObserver((l) => { longTasks += l.getEntries().length; }).observe({ type: 'longtask' });
      let last = performance.now();
      let worst = 0;
      const step = () => {
        const now = performance.now();
        worst = Math.max(worst, now - last);
        last = now;
        if (list.scrollTop + list.clientHeight >= list.scrollHeight - 1) { setTimeout(() => resolve({ worst, longTasks }), 100); return; }
        list.scrollTop += 240;
        requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    })`)) as { worst: number; longTasks: number };
    rows[2].values.push(scroll.worst);
    rows[3].values.push(scroll.longTasks);
    await inspector.close();

    // --- dashboard --------------------------------------------------------------------------
    // Charts are created when on screen (all 20 are, in this 2,400 px high page), and their lines
    // drawn when the chart worker's answer arrives: a card gets data-drawn once its chart is drawn
    // with its lines, which counts the charts really drawn in the frame.
    const dashboard = await renderSnapshot(browser, metrics, 2400);
    rows[4].values.push(dashboard.ms);
    rows[5].values.push(dashboard.drawn);
    rows[6].values.push(await lastDeserializeMs(dashboard.app.page));
    const n = metrics.runs[0].steps.length;
    const appended = Object.fromEntries(Object.keys(metrics.runs[0].metrics).map((name) => [name, new Float64Array([1.5])]));
    await armChartsRedrawnProbe(dashboard.app.page);
    await dashboard.app.send({
      kind: 'notification',
      method: 'dashboard/metrics/didAppend',
      params: { runId: 'bench', from: n, steps: new Float64Array([n + 1]), times: new Float64Array([1_800_000_000 + 2 * (n + 1)]), metrics: appended, nonFinite: {} },
    });
    rows[7].values.push(await readPaintProbe(dashboard.app.page));
    await dashboard.app.close();

    // The same snapshot in an ordinary editor-sized view: the charts on screen are drawn at once,
    // the others when scrolled to.
    const view = await renderSnapshot(browser, metrics, 800);
    rows[8].values.push(view.ms);
    rows[9].values.push(view.drawn);
    await view.app.close();

    // The dashboard as users watch it: while a trainer keeps the CPU busy.
    const neighbour = busyNeighbour();
    try {
      await new Promise((r) => setTimeout(r, 500)); // let it take the cores
      const loaded = await renderSnapshot(browser, metrics, 2400);
      rows[10].values.push(loaded.ms);
      rows[11].values.push(loaded.drawn);
      await loaded.app.close();
    } finally {
      neighbour.kill('SIGKILL');
    }
  }
  await browser.close();
  printTable(rows);
}

/**
 * An empty dashboard page of this height given the snapshot: ms to the frame in which every chart
 * created (every one on screen) has its lines drawn, and the charts drawn in it.
 */
async function renderSnapshot(browser: Browser, metrics: DashboardSnapshot, height: number): Promise<{ app: AppPage; ms: number; drawn: number }> {
  const empty: DashboardInit = { state: { ...DEFAULT_DASHBOARD_STATE, runIds: [] }, snapshot: { available: [], runs: [] } };
  const app = await openApp(browser, 'dashboard', { initialState: empty, height });
  await app.page.waitForSelector('.sections', { state: 'attached' });
  await armChartsDrawnProbe(app.page, 20);
  await app.send({ kind: 'notification', method: 'dashboard/snapshot/didChange', params: metrics });
  return { app, ms: await readPaintProbe(app.page), drawn: await readPaintedCount(app.page) };
}

async function waitForRequest(posted: { kind: string; method?: string; id?: number }[], method: string): Promise<number> {
  const seen = new Set<number>();
  for (let i = 0; i < 600; i++) {
    const found = posted.find((m) => m.kind === 'request' && m.method === method && !seen.has(m.id!));
    if (found) {
      posted.splice(posted.indexOf(found), 1);
      return found.id!;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`the app never requested ${method}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function printTable(rows: Row[]): void {
  const header = ['measure', 'target', `median of ${RUNS}`, 'all runs'];
  const body = rows.map((r) => [r.measure, r.target, `${median(r.values).toFixed(r.unit ? 1 : 0)} ${r.unit}`.trim(), r.values.map((v) => v.toFixed(r.unit ? 0 : 0)).join(' / ')]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
