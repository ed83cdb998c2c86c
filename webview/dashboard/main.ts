// The training dashboard app. Reads top to bottom: state → layout → data → charts → host messages.
//   data     per run: metric columns, their EMA (kept incrementally for live appends; runData.ts)
//   charts   one per metric, in sections Reward · Policy · Selection · Completions · Optimization · Throughput · Other;
//            Selection also draws the difficulty heatmap of selection.jsonl (selectionHeatmap.ts)
//   live     appended rows update only the charts they touch, without animation

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '../shared/base.css';
import './dashboard.css';
import type {
  DashboardInit,
  DashboardProtocol,
  DashboardSnapshot,
  DashboardState,
  MetricsAppend,
} from '../../src/webviews/dashboard/protocol';
import { clear, el } from '../shared/dom';
import { HostConnection, readInitialState } from '../shared/ipc';
import { themeColors } from '../shared/theme';
import { DEFAULT_ALERT_OPTIONS, computeAlerts } from './alerts';
import { configDiff } from './configDiff';
import { mirrorAppend, mirrorSmoothing, mirrorSnapshot } from './linePipeline';
import './lineWorkerStart';
import { MetricChart, type ChartSeries, type ChartView } from './metricChart';
import { appendToRun, band, elapsed, smoothRun, smoothedOf, toRunData, type RunData } from './runData';
import { GROUPS, bandOf, groupOf, nearestIndex, type Group } from './series';
import { SelectionHeatmaps } from './selectionHeatmap';

// --- state ------------------------------------------------------------------------------------

const host = new HostConnection<DashboardProtocol, DashboardState>();
const init = readInitialState<DashboardInit>()!;
const restored = host.getState();
let state: DashboardState = { ...init.state, ...restored };

function update(patch: Partial<DashboardState>): void {
  state = { ...state, ...patch };
  host.setState(state);
}

// --- layout -----------------------------------------------------------------------------------

const app = document.getElementById('app')!;
const runPicker = el('div', { class: 'run-picker', role: 'group', 'aria-label': 'Runs to overlay' });
const smoothingSlider = el('input', { type: 'range', min: 0, max: 0.99, step: 0.01, 'aria-label': 'Smoothing' });
const smoothingValue = el('span', { class: 'num' });
const xAxisSelect = el('select', { 'aria-label': 'X axis' }, el('option', { value: 'step' }, 'step'), el('option', { value: 'time' }, 'wall time (s)'));
const logBox = el('vscode-checkbox', { label: 'Log scale' });
const resetZoom = el('vscode-button', { secondary: true }, 'Reset zoom');
const compare = el('vscode-button', { secondary: true, title: 'Compare Checkpoints: pass@k and per-prompt results of this run’s evaluations' }, 'Compare Checkpoints');
const entropyFraction = el('input', { type: 'number', min: 0, max: 1, step: 0.05, class: 'narrow', 'aria-label': 'Entropy collapse fraction' });
const alertsRow = el('div', { class: 'alerts', role: 'list', 'aria-label': 'Alerts' });
const legend = el('div', { class: 'legend' });
const diff = el('details', { class: 'config-diff' });
const sections = el('div', { class: 'sections' });

app.append(
  el(
    'div',
    { class: 'toolbar' },
    runPicker,
    el('label', {}, 'Smoothing', smoothingSlider, smoothingValue),
    el('label', {}, 'X', xAxisSelect),
    logBox,
    resetZoom,
    compare,
    el('label', { title: 'Entropy collapse: entropy below this fraction of its early value' }, 'Collapse <', entropyFraction, '× early entropy'),
  ),
  alertsRow,
  legend,
  diff,
  sections,
);

// --- data -------------------------------------------------------------------------------------

let runs: RunData[] = [];
let available: DashboardSnapshot['available'] = [];
const palette = themeColors(['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-red', '--vscode-charts-purple', '--vscode-charts-yellow']);

function loadSnapshot(snapshot: DashboardSnapshot): void {
  available = snapshot.available;
  runs = snapshot.runs.map((r, i) => smoothRun(toRunData(r, palette[i % palette.length]), state.smoothing));
  mirrorSnapshot(snapshot.runs, state.smoothing);
  update({ runIds: runs.map((r) => r.runId) });
  renderPicker();
  renderLegend();
  renderDiff();
  buildCharts();
  renderAlerts();
}

function appendRows(append: MetricsAppend): Set<string> {
  const run = runs.find((r) => r.runId === append.runId);
  if (!run) return new Set();
  if (append.from !== run.steps.length) {
    // Missed or repeated rows (e.g. the page was reloaded): start again from a snapshot.
    if (append.from > run.steps.length) void refreshSnapshot();
    return new Set();
  }
  const touched = appendToRun(run, append);
  mirrorAppend(append);
  return touched;
}

async function refreshSnapshot(): Promise<void> {
  loadSnapshot(await host.request('dashboard/snapshot/get', { runIds: state.runIds }));
}

// --- charts -----------------------------------------------------------------------------------

const charts = new Map<string, MetricChart>();
// The Selection section's difficulty heatmap (selection.jsonl), beside its percentile charts.
const heatmaps = new SelectionHeatmaps((runId) => host.request('dashboard/selection/get', { runId }));

function chartView(): ChartView {
  return {
    xLabel: state.xAxis === 'step' ? 'step' : 'wall time (s)',
    integerX: state.xAxis === 'step',
    logScale: state.logScale,
    zoom: state.zoom,
    showRaw: state.smoothing > 0,
    theme: {
      grid: themeColors(['--vscode-editorWidget-border'], 'rgba(128, 128, 128, 0.25)')[0],
      text: themeColors(['--vscode-descriptionForeground'], 'rgb(128, 128, 128)')[0],
      crosshair: themeColors(['--vscode-foreground'], 'rgb(128, 128, 128)')[0],
    },
  };
}

function seriesOf(metric: string): ChartSeries[] {
  const bandName = [...(runs[0]?.metrics.keys() ?? [])].find((n) => bandOf(n) === metric);
  return runs.flatMap((r): ChartSeries[] => {
    const raw = r.metrics.get(metric);
    if (!raw) return [];
    const std = bandName ? r.metrics.get(bandName) : undefined;
    // The same arrays, grown in place, from one call to the next: the chart extends its
    // decimation of them instead of starting again.
    return [
      {
        runId: r.runId,
        name: r.name,
        color: r.color,
        xs: state.xAxis === 'step' ? r.steps : elapsed(r),
        raw,
        smoothed: () => smoothedOf(r, metric),
        band: std && band(r, metric, raw, std),
        ref: { runId: r.runId, x: state.xAxis, metric, std: std && bandName },
      },
    ];
  });
}

function metricNames(): string[] {
  const names = new Set<string>();
  for (const r of runs) for (const n of r.metrics.keys()) if (!bandOf(n)) names.add(n);
  return [...names].sort();
}

const chartEvents = {
  hover(x: number | null) {
    for (const chart of charts.values()) chart.setCrosshair(x);
  },
  click(x: number, runId: string) {
    const run = runs.find((r) => r.runId === runId);
    if (!run) return;
    // Wall-time x back to a step: the logged step nearest that time.
    let step = x;
    if (state.xAxis === 'time') {
      const index = nearestIndex(elapsed(run).values, x);
      if (index < 0) return;
      step = run.steps.values[index];
    }
    host.command('dashboard/inspector/open', { runId, step: Math.round(step) });
  },
  zoom(range: { min: number; max: number } | null) {
    update({ zoom: range });
    redrawAll();
  },
};

function buildCharts(): void {
  for (const chart of charts.values()) chart.destroy();
  charts.clear();
  clear(sections);
  const byGroup = new Map<Group, string[]>();
  for (const name of metricNames()) {
    const group = groupOf(name);
    byGroup.set(group, [...(byGroup.get(group) ?? []), name]);
  }
  const view = chartView();
  for (const group of GROUPS) {
    const names = byGroup.get(group);
    if (!names) continue;
    const grid = el('div', { class: 'chart-grid' });
    const section = el('details', { class: 'section', 'data-group': group, open: !state.collapsed.includes(group) }, el('summary', {}, group), grid);
    section.addEventListener('toggle', () => {
      const collapsed = state.collapsed.filter((g) => g !== group);
      update({ collapsed: section.open ? collapsed : [...collapsed, group] });
    });
    sections.appendChild(section);
    for (const name of names) {
      const chart = new MetricChart(name, view, chartEvents, grid);
      charts.set(name, chart);
      chart.setSeries(seriesOf(name), view);
    }
  }
  // The charts on screen now are drawn in this frame; the others when scrolled (or expanded) to.
  // Every position is read before any chart is created (one layout, not one per chart).
  const onScreen = [...charts.values()].filter((chart) => chart.isNearViewport());
  for (const chart of onScreen) chart.show();
  heatmaps.mount(sections.querySelector<HTMLElement>('[data-group="Selection"] .chart-grid'), runs);
  if (runs.length === 0) sections.appendChild(el('p', { class: 'muted' }, 'No run selected. Pick runs above, or start a run.'));
  else if (charts.size === 0) sections.appendChild(el('p', { class: 'muted' }, 'No metrics logged yet. They appear here within a second of the trainer writing them.'));
}

function redrawAll(): void {
  const view = chartView();
  for (const [name, chart] of charts) chart.setSeries(seriesOf(name), view);
}

// --- side panels: runs, legend, config diff, alerts -------------------------------------------

function renderPicker(): void {
  clear(runPicker);
  for (const run of available) {
    const box = el('vscode-checkbox', { label: `${run.name} (${run.status})`, 'data-run': run.runId });
    (box as unknown as { checked: boolean }).checked = state.runIds.includes(run.runId);
    box.addEventListener('change', () => {
      const checked = (box as unknown as { checked: boolean }).checked;
      const ids = checked ? [...state.runIds, run.runId] : state.runIds.filter((id) => id !== run.runId);
      update({ runIds: ids });
      host.command('dashboard/runs/select', { runIds: ids });
    });
    runPicker.appendChild(box);
  }
}

function renderLegend(): void {
  clear(legend);
  for (const run of runs) {
    const swatch = el('span', { class: 'swatch' });
    swatch.style.backgroundColor = run.color;
    legend.appendChild(el('span', { class: 'legend-item', 'data-run': run.runId }, swatch, `${run.name} · ${run.status}`));
  }
}

function renderDiff(): void {
  clear(diff);
  diff.hidden = runs.length < 2;
  if (runs.length < 2) return;
  const rows = configDiff(runs.map((r) => r.config));
  diff.appendChild(el('summary', {}, `Config differences (${rows.length} keys)`));
  const table = el('table', { class: 'plain' }, el('tr', {}, el('th', {}, 'key'), ...runs.map((r) => el('th', {}, r.name))));
  for (const row of rows) {
    table.appendChild(el('tr', {}, el('td', {}, row.key), ...row.values.map((v) => el('td', {}, v ?? '—'))));
  }
  diff.appendChild(table);
}

function renderAlerts(): void {
  clear(alertsRow);
  for (const run of runs) {
    const series = { runId: run.runId, steps: run.steps.values, metrics: new Map([...run.metrics].map(([name, c]) => [name, c.values])), nonFinite: run.nonFinite };
    const alerts = computeAlerts(series, { ...DEFAULT_ALERT_OPTIONS, entropyFraction: state.entropyFraction });
    for (const alert of alerts) {
      const button = el(
        'button',
        { class: `alert alert-${alert.kind}`, role: 'listitem', 'data-kind': alert.kind, 'data-step': alert.step, title: 'Open the rollouts of this step' },
        runs.length > 1 ? `${run.name}: ` : '',
        `⚠ ${alert.message} — from step ${alert.step}`,
      );
      button.addEventListener('click', () => host.command('dashboard/inspector/open', { runId: run.runId, step: alert.step }));
      alertsRow.appendChild(button);
    }
  }
}

// --- controls ---------------------------------------------------------------------------------

smoothingSlider.addEventListener('input', () => {
  update({ smoothing: Number(smoothingSlider.value) });
  smoothingValue.textContent = state.smoothing.toFixed(2);
  runs.forEach((run) => smoothRun(run, state.smoothing));
  mirrorSmoothing(state.smoothing);
  redrawAll();
});
xAxisSelect.addEventListener('change', () => {
  update({ xAxis: xAxisSelect.value as DashboardState['xAxis'], zoom: null });
  redrawAll();
});
logBox.addEventListener('change', () => {
  update({ logScale: (logBox as unknown as { checked: boolean }).checked });
  redrawAll();
});
resetZoom.addEventListener('click', () => chartEvents.zoom(null));
compare.addEventListener('click', () => {
  const runId = runs[0]?.runId;
  if (runId) host.command('dashboard/compare/open', { runId });
});
entropyFraction.addEventListener('change', () => {
  const value = Number(entropyFraction.value);
  if (value > 0 && value < 1) {
    update({ entropyFraction: value });
    renderAlerts();
  }
});

// --- host messages ----------------------------------------------------------------------------

host.onNotification('dashboard/snapshot/didChange', loadSnapshot);
host.onNotification('dashboard/metrics/didAppend', (append) => {
  const touched = appendRows(append);
  if (touched.size === 0) return;
  let newMetric = false;
  for (const name of touched) {
    const target = bandOf(name) ?? name;
    const chart = charts.get(target);
    if (chart) chart.appended(seriesOf(target));
    else if (!bandOf(name)) newMetric = true;
  }
  if (newMetric) buildCharts();
  else if ([...touched].some((name) => groupOf(name) === 'Selection')) void heatmaps.refresh();
  renderAlerts();
});
host.onNotification('dashboard/recorded/didChange', ({ runId, recordedSteps, status }) => {
  const run = runs.find((r) => r.runId === runId);
  if (run) {
    run.recordedSteps = recordedSteps;
    run.status = status;
    renderLegend();
  }
});

// --- start ------------------------------------------------------------------------------------

smoothingSlider.value = String(state.smoothing);
smoothingValue.textContent = state.smoothing.toFixed(2);
xAxisSelect.value = state.xAxis;
(logBox as unknown as { checked: boolean }).checked = state.logScale;
entropyFraction.value = String(state.entropyFraction);
loadSnapshot(init.snapshot);
host.ready();
if (restored) {
  // A reloaded page: the inlined snapshot may be old.
  void refreshSnapshot();
}

