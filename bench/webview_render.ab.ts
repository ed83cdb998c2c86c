// The dashboard's 20 series × 100k points render, this checkout's build against another's (BASE, e.g.
// a checkout of main built with `npm run build`), page for page in turn in one browser so that a
// shared machine's changing load falls on both alike; quiet, then with a CPU-bound neighbour.
//
//   BASE=/path/to/other/checkout [ROUNDS=8] node --import tsx bench/webview_render.ab.ts
//
// A build whose dashboard cards carry data-drawn (lines from the chart worker) is timed to the frame
// in which every chart is drawn with its lines; an older build (lines drawn with the chart, at
// creation) to the frame in which all 20 charts were created. Prints medians and their ratio.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { busyNeighbour } from './webview_render.neighbour';
import { armChartsDrawnProbe, armPaintProbe, launch, openApp, readPaintProbe } from './webview_render.page';
import { bigMetrics } from './webview_render.data';
import { DEFAULT_DASHBOARD_STATE, type DashboardInit, type DashboardSnapshot } from '../src/webviews/dashboard/protocol';

const BASE = process.env.BASE;
const ROUNDS = Number(process.env.ROUNDS ?? 8);
const HERE = join(__dirname, '..');

async function render(browser: Browser, root: string, metrics: DashboardSnapshot): Promise<number> {
  const empty: DashboardInit = { state: { ...DEFAULT_DASHBOARD_STATE, runIds: [] }, snapshot: { available: [], runs: [] } };
  const app = await openApp(browser, 'dashboard', { initialState: empty, height: 2400, root });
  try {
    await app.page.waitForSelector('.sections', { state: 'attached' });
    if (drawsInWorker(root)) await armChartsDrawnProbe(app.page, 20);
    else await armPaintProbe(app.page, '.chart-card canvas', 20);
    await app.send({ kind: 'notification', method: 'dashboard/snapshot/didChange', params: metrics });
    return await readPaintProbe(app.page);
  } finally {
    await app.close();
  }
}

/** Whether that build's dashboard draws its lines from the chart worker (its cards carry data-drawn). */
function drawsInWorker(root: string): boolean {
  return readFileSync(join(root, 'dist/webview/dashboard.js'), 'utf8').includes('dataset.drawn');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  if (!BASE) throw new Error('BASE: the other checkout (with dist/webview/dashboard.js built) to compare with');
  const browser = await launch();
  const metrics = bigMetrics(20, 100_000);
  const times = { quiet: { base: [] as number[], here: [] as number[] }, loaded: { base: [] as number[], here: [] as number[] } };
  for (const condition of ['quiet', 'loaded'] as const) {
    const neighbour = condition === 'loaded' ? busyNeighbour() : undefined;
    try {
      if (neighbour) await new Promise((r) => setTimeout(r, 500));
      for (let round = 0; round < ROUNDS; round++) {
        // Alternating which goes first.
        const order = round % 2 === 0 ? (['base', 'here'] as const) : (['here', 'base'] as const);
        for (const side of order) times[condition][side].push(await render(browser, side === 'base' ? BASE : HERE, metrics));
      }
    } finally {
      neighbour?.kill('SIGKILL');
    }
  }
  await browser.close();
  console.log(`| 20 × 100k rendered | base (${BASE}) median | this build median | this / base | base runs | this build runs |`);
  console.log('|---|---|---|---|---|---|');
  for (const condition of ['quiet', 'loaded'] as const) {
    const { base, here } = times[condition];
    const label = condition === 'quiet' ? 'as the machine is' : 'with a CPU-bound neighbour';
    console.log(`| ${label} | ${median(base).toFixed(0)} ms | ${median(here).toFixed(0)} ms | ${(median(here) / median(base)).toFixed(2)} | ${base.map((v) => v.toFixed(0)).join(' / ')} | ${here.map((v) => v.toFixed(0)).join(' / ')} |`);
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
