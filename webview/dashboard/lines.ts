// The lines a dashboard chart draws, as numbers: its series decimated (series.ts: 2-px buckets of
// first/min/max/last; kept decimations extended on live appends), EMA-smoothed, ±std bands, and the
// extent the axes are laid out for. Pure (no DOM): run in the dashboard's Web Worker (lineWorker.ts),
// and on the main thread where no worker runs (linePipeline.ts), with the same results.

import { Column } from './column';
import { band, elapsed, smoothRun, smoothedOf, toRunData, appendToRun, type RunData } from './runData';
import { Decimator, decimate, type Point } from './series';
import type { MetricsAppend } from '../../src/webviews/dashboard/protocol';

/** Which columns of which run a chart line comes from (the worker's copy of the run is looked up by it). */
export interface SeriesRef {
  runId: string;
  x: 'step' | 'time';
  metric: string;
  /** The metric drawn as a ±std band around this one, when the run has it. */
  std?: string;
}

/** A series as columns (the main thread's, or the worker's copies of them). */
export interface SeriesColumns {
  runId: string;
  xs: Column;
  raw: Column;
  smoothed: () => Column;
  band?: { lower: Column; upper: Column };
}

export interface LineOptions {
  showRaw: boolean;
  buckets: number;
  zoom: { min: number; max: number } | null;
  logScale: boolean;
}

export interface Extent {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

/** Points as [x0, y0, x1, y1, …]: one transferable buffer per line. */
export interface PackedDrawing {
  bands: { runId: string; lower: Float64Array; upper: Float64Array }[];
  lines: { runId: string; smoothed: boolean; xy: Float64Array }[];
  extent: Extent;
}

/**
 * A chart's drawing, in drawing order: ±std bands, the raw lines (when smoothing shows them), then
 * the smoothed lines. `decimators` holds the chart's whole-series decimations from call to call.
 */
export function computeDrawing(series: SeriesColumns[], options: LineOptions, decimators: Map<string, Decimator>): PackedDrawing {
  const decimated = (key: string, xs: Column, ys: Column): Float64Array => {
    if (options.zoom) return pack(decimate(xs.values, ys.values, options.buckets, options.zoom.min, options.zoom.max));
    let decimator = decimators.get(key);
    if (!decimator?.follows(xs, ys, options.buckets)) {
      decimator = new Decimator(xs, ys, options.buckets);
      decimators.set(key, decimator);
    }
    return pack(decimator.points());
  };
  const drawing: PackedDrawing = { bands: [], lines: [], extent: { xMin: Infinity, xMax: -Infinity, yMin: Infinity, yMax: -Infinity } };
  for (const s of series) {
    if (s.band) drawing.bands.push({ runId: s.runId, lower: decimated(`${s.runId}:lower`, s.xs, s.band.lower), upper: decimated(`${s.runId}:upper`, s.xs, s.band.upper) });
  }
  if (options.showRaw) for (const s of series) drawing.lines.push({ runId: s.runId, smoothed: false, xy: decimated(`${s.runId}:raw`, s.xs, s.raw) });
  for (const s of series) drawing.lines.push({ runId: s.runId, smoothed: true, xy: decimated(`${s.runId}:smoothed`, s.xs, s.smoothed()) });
  for (const xy of [...drawing.bands.flatMap((b) => [b.lower, b.upper]), ...drawing.lines.map((l) => l.xy)]) widen(drawing.extent, xy, options.logScale);
  return drawing;
}

function pack(points: Point[]): Float64Array {
  const xy = new Float64Array(points.length * 2);
  for (let i = 0; i < points.length; i++) {
    xy[2 * i] = points[i].x;
    xy[2 * i + 1] = points[i].y;
  }
  return xy;
}

/** The extent over what is drawn (positive values only on a log scale). */
function widen(extent: Extent, xy: Float64Array, log: boolean): void {
  for (let i = 0; i < xy.length; i += 2) {
    const x = xy[i];
    const y = xy[i + 1];
    if (log && y <= 0) continue;
    if (x < extent.xMin) extent.xMin = x;
    if (x > extent.xMax) extent.xMax = x;
    if (y < extent.yMin) extent.yMin = y;
    if (y > extent.yMax) extent.yMax = y;
  }
}

/** Every buffer a drawing holds (posted as transferables). */
export function buffersOf(drawing: PackedDrawing): ArrayBuffer[] {
  return [...drawing.bands.flatMap((b) => [b.lower.buffer, b.upper.buffer]), ...drawing.lines.map((l) => l.xy.buffer)] as ArrayBuffer[];
}

// --- the worker's side: its copies of the runs, and the messages that keep them -----------------

/** A run's columns as the worker gets them (the host's, copied once and transferred). */
export interface RunColumns {
  runId: string;
  steps: Float64Array;
  times: Float64Array;
  metrics: Map<string, Float64Array>;
}

export type LineMessage =
  | { kind: 'load'; runs: RunColumns[]; smoothing: number }
  | { kind: 'append'; append: MetricsAppend }
  | { kind: 'smoothing'; smoothing: number }
  | { kind: 'draw'; chart: number; seq: number; refs: SeriesRef[]; options: LineOptions; reset: boolean }
  | { kind: 'forget'; chart: number };

export interface LineResult {
  chart: number;
  seq: number;
  drawing: PackedDrawing;
}

/** The worker's state: its copy of every overlaid run and each chart's kept decimations. */
export class LineStore {
  private runs = new Map<string, RunData>();
  private decimators = new Map<number, Map<string, Decimator>>();

  handle(message: LineMessage): LineResult | undefined {
    switch (message.kind) {
      case 'load':
        this.runs = new Map(message.runs.map((r) => [r.runId, smoothRun(mirror(r), message.smoothing)]));
        this.decimators.clear();
        return undefined;
      case 'append': {
        const run = this.runs.get(message.append.runId);
        // The main thread forwards only appends it took (rows in order), so the copies stay aligned.
        if (run) appendToRun(run, message.append);
        return undefined;
      }
      case 'smoothing':
        for (const run of this.runs.values()) smoothRun(run, message.smoothing);
        return undefined;
      case 'forget':
        this.decimators.delete(message.chart);
        return undefined;
      case 'draw': {
        let decimators = this.decimators.get(message.chart);
        if (!decimators || message.reset) this.decimators.set(message.chart, (decimators = new Map()));
        const series = message.refs.flatMap((ref) => this.columnsOf(ref));
        return { chart: message.chart, seq: message.seq, drawing: computeDrawing(series, message.options, decimators) };
      }
    }
  }

  private columnsOf(ref: SeriesRef): SeriesColumns[] {
    const run = this.runs.get(ref.runId);
    const raw = run?.metrics.get(ref.metric);
    if (!run || !raw) return [];
    const std = ref.std === undefined ? undefined : run.metrics.get(ref.std);
    return [
      {
        runId: ref.runId,
        xs: ref.x === 'step' ? run.steps : elapsed(run),
        raw,
        smoothed: () => smoothedOf(run, ref.metric),
        band: std && band(run, ref.metric, raw, std),
      },
    ];
  }
}

function mirror(r: RunColumns): RunData {
  return toRunData({ runId: r.runId, name: '', status: '', steps: r.steps, times: r.times, metrics: Object.fromEntries(r.metrics), recordedSteps: [], config: {}, nonFinite: {} }, '');
}
