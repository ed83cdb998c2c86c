// Where the dashboard's time goes: the benchmark's 20 series × 100k points snapshot, then one live
// append, in headless Chromium with the real bundle (build first: npm run build), under the V8
// sampling profiler. Prints each phase's time and its 25 heaviest functions by self time.
//
//   node --import tsx bench/webview_render.profile.ts        (NOPROF=1: times only, no profiler)

import { armChartsDrawnProbe, armChartsRedrawnProbe, launch, openApp, readPaintProbe } from './webview_render.page';
import { bigMetrics } from './webview_render.data';
import { DEFAULT_DASHBOARD_STATE, type DashboardInit } from '../src/webviews/dashboard/protocol';

async function main(): Promise<void> {
  const browser = await launch();
  const metrics = bigMetrics(20, 100_000);
  const empty: DashboardInit = { state: { ...DEFAULT_DASHBOARD_STATE, runIds: [] }, snapshot: { available: [], runs: [] } };
  const dashboard = await openApp(browser, 'dashboard', { initialState: empty, height: Number(process.env.HEIGHT ?? 2400) });
  await dashboard.page.waitForSelector('.sections', { state: 'attached' });
  const cdp = await dashboard.page.context().newCDPSession(dashboard.page);
  const profiled = !process.env.NOPROF;
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  const phase = async (name: string, run: () => Promise<number>) => {
    if (profiled) await cdp.send('Profiler.start');
    console.log(`${name}: ${(await run()).toFixed(1)} ms`);
    if (profiled) report((await cdp.send('Profiler.stop')).profile as Profile);
  };
  await phase('snapshot rendered', async () => {
    await armChartsDrawnProbe(dashboard.page, 20);
    await dashboard.send({ kind: 'notification', method: 'dashboard/snapshot/didChange', params: metrics });
    return readPaintProbe(dashboard.page);
  });
  const n = metrics.runs[0].steps.length;
  const appended = Object.fromEntries(Object.keys(metrics.runs[0].metrics).map((name) => [name, new Float64Array([1.5])]));
  await phase('live append on screen', async () => {
    await armChartsRedrawnProbe(dashboard.page);
    await dashboard.send({
      kind: 'notification',
      method: 'dashboard/metrics/didAppend',
      params: { runId: 'bench', from: n, steps: new Float64Array([n + 1]), times: new Float64Array([1_800_000_000 + 2 * (n + 1)]), metrics: appended },
    });
    return readPaintProbe(dashboard.page);
  });
  await browser.close();
}

/** The parts of a CDP Profiler.Profile read here. */
interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples?: number[];
  timeDeltas?: number[];
}

function report(profile: Profile): void {
  const self = new Map<string, number>();
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => {
    const frame = nodes.get(id)!.callFrame;
    const key = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop()}:${frame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
  });
  for (const [key, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${ms.toFixed(1).padStart(9)} ms  ${key}`);
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
