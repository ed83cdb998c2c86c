// The dashboard's data per overlaid run: the host's Float64Array columns adopted as growable
// columns, their EMA (continued on live appends), wall time since the start, and ±std bands.
// Keyed by metric name in Maps: the names come from the run (`__proto__` is a valid metric name).

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
  metrics: Map<string, Column>;
  /** Per metric, the rows where its value was non-finite (not merely missing). */
  nonFinite: Map<string, number[]>;
  /** The EMA weight the smoothed columns are for. */
  smoothing: number;
  /** Per metric, made when first asked for (smoothedOf): a chart off screen costs no smoothing. */
  smoothed: Map<string, Column>;
  ema: Map<string, EmaState>;
  /** Wall time since the first row, grown with `times` (the x of the time axis). */
  elapsed: Column;
  /** value ± std per banded metric, grown with its columns. */
  bands: Map<string, Band>;
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
    metrics: new Map(Object.entries(r.metrics).map(([name, values]) => [name, new Column(values)])),
    nonFinite: new Map(Object.entries(r.nonFinite ?? {})),
    smoothing: 0,
    smoothed: new Map(),
    ema: new Map(),
    elapsed: new Column(),
    bands: new Map(),
  };
}

/** Sets the EMA weight; the smoothed columns are made again when next asked for. */
export function smoothRun(run: RunData, smoothing: number): RunData {
  run.smoothing = smoothing;
  run.smoothed = new Map();
  run.ema = new Map();
  return run;
}

/**
 * A metric's smoothed column (the debiased EMA, series.ts), brought up to the metric's length: the
 * same column, grown in place, from one call to the next (the EMA state continues over live rows).
 */
export function smoothedOf(run: RunData, name: string): Column {
  const values = run.metrics.get(name)?.values ?? new Float64Array(0);
  let smoothed = run.smoothed.get(name);
  let ema = run.ema.get(name);
  if (!smoothed || !ema) {
    smoothed = Column.withCapacity(values.length);
    ema = { last: 0, power: 1 };
    run.smoothed.set(name, smoothed);
    run.ema.set(name, ema);
  }
  if (smoothed.length < values.length) emaExtend(ema, values, run.smoothing, smoothed, smoothed.length);
  return smoothed;
}

/**
 * Appends a host append (its `from` already checked against the run's length); returns the metrics
 * it carried. Their smoothed columns catch up when next read (smoothedOf).
 */
export function appendToRun(run: RunData, append: MetricsAppend): Set<string> {
  const touched = new Set<string>();
  const before = run.steps.length;
  run.steps.pushAll(append.steps);
  run.times.pushAll(append.times);
  for (const [name, values] of Object.entries(append.metrics)) {
    let column = run.metrics.get(name);
    if (!column) run.metrics.set(name, (column = new Column()));
    // A metric absent from earlier rows (new) or from some appended ones: NaN there.
    column.padTo(before);
    column.pushAll(values);
    touched.add(name);
  }
  for (const [name, rows] of Object.entries(append.nonFinite ?? {})) {
    const known = run.nonFinite.get(name);
    if (known) known.push(...rows);
    else run.nonFinite.set(name, [...rows]);
  }
  // Metrics this append did not carry: NaN in its rows, so every column stays row-aligned.
  for (const column of run.metrics.values()) column.padTo(run.steps.length);
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
  let b = run.bands.get(metric);
  if (!b || b.raw !== raw || b.std !== std) run.bands.set(metric, (b = { raw, std, lower: new Column(), upper: new Column() }));
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
