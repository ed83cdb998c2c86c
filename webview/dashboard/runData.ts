// The dashboard's data per overlaid run: the host's Float64Array columns adopted as growable
// columns, their EMA (continued on live appends), wall time since the start, and ±std bands.

import type { MetricsAppend, RunMetrics } from '../../src/webviews/dashboard/protocol';
import { Column } from './column';
import { emaExtend, type EmaState } from './series';

export interface RunData {
  runId: string;
  name: string;
  status: string;
  recordedSteps: number[];
  config: Record<string, unknown>;
  color: string;
  steps: Column;
  times: Column;
  /** Per metric, NaN where a row lacks it; adopted from the host's Float64Arrays without a copy. */
  metrics: Record<string, Column>;
  smoothed: Record<string, Column>;
  ema: Record<string, EmaState>;
  /** Wall time since the first row, grown with `times` (the x of the time axis). */
  elapsed: Column;
  /** value ± std per banded metric, grown with its columns. */
  bands: Record<string, Band>;
}

export interface Band {
  raw: Column;
  std: Column;
  lower: Column;
  upper: Column;
}

/** A snapshot's run as the app keeps it (not yet smoothed). */
export function toRunData(r: RunMetrics, color: string): RunData {
  return {
    runId: r.runId,
    name: r.name,
    status: r.status,
    recordedSteps: r.recordedSteps,
    config: r.config,
    color,
    steps: new Column(r.steps),
    times: new Column(r.times),
    metrics: Object.fromEntries(Object.entries(r.metrics).map(([name, values]) => [name, new Column(values)])),
    smoothed: {},
    ema: {},
    elapsed: new Column(),
    bands: {},
  };
}

/** Smooths every metric afresh (the EMA state is kept so live rows continue it). */
export function smoothRun(run: RunData, smoothing: number): RunData {
  run.smoothed = {};
  run.ema = {};
  for (const [name, column] of Object.entries(run.metrics)) {
    // The debiased EMA (series.ts); kept as state so live rows continue it.
    run.ema[name] = { last: 0, power: 1 };
    run.smoothed[name] = Column.withCapacity(column.length);
    emaExtend(run.ema[name], column.values, smoothing, run.smoothed[name]);
  }
  return run;
}

/**
 * Appends a host append (its `from` already checked against the run's length) and continues the
 * EMA; returns the metrics it carried.
 */
export function appendToRun(run: RunData, append: MetricsAppend, smoothing: number): Set<string> {
  const touched = new Set<string>();
  const before = run.steps.length;
  run.steps.pushAll(append.steps);
  run.times.pushAll(append.times);
  for (const [name, values] of Object.entries(append.metrics)) {
    if (!run.metrics[name]) {
      run.metrics[name] = new Column();
      run.smoothed[name] = new Column();
      run.ema[name] = { last: 0, power: 1 };
    }
    // A metric absent from earlier rows (new) or from some appended ones: NaN there.
    run.metrics[name].padTo(before);
    run.smoothed[name].padTo(before);
    run.metrics[name].pushAll(values);
    emaExtend(run.ema[name], values, smoothing, run.smoothed[name]);
    touched.add(name);
  }
  // Metrics this append did not carry: NaN in its rows, so every column stays row-aligned.
  for (const name of Object.keys(run.metrics)) {
    run.metrics[name].padTo(run.steps.length);
    run.smoothed[name].padTo(run.steps.length);
  }
  return touched;
}

export function elapsed(run: RunData): Column {
  const times = run.times.values;
  const t0 = times[0] ?? 0;
  const from = run.elapsed.length;
  if (times.length > from) {
    const { data, start } = run.elapsed.extend(times.length - from);
    for (let i = from; i < times.length; i++) data[start + i - from] = times[i] - t0;
  }
  return run.elapsed;
}

/** value ± std of a metric, computed for the rows added since the last call. */
export function band(run: RunData, metric: string, raw: Column, std: Column): Band {
  let b = run.bands[metric];
  if (!b || b.raw !== raw || b.std !== std) b = run.bands[metric] = { raw, std, lower: new Column(), upper: new Column() };
  const values = raw.values;
  const stds = std.values;
  const n = Math.min(values.length, stds.length);
  const from = b.lower.length;
  if (n > from) {
    const lower = b.lower.extend(n - from);
    const upper = b.upper.extend(n - from);
    // NaN (a missing value or std) stays NaN.
    for (let i = from; i < n; i++) {
      lower.data[lower.start + i - from] = values[i] - stds[i];
      upper.data[upper.start + i - from] = values[i] + stds[i];
    }
  }
  return b;
}
