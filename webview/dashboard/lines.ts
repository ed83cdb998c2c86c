// The lines a dashboard chart draws, as numbers: its series decimated (series.ts: 2-px buckets of
// first/min/max/last; kept decimations extended on live appends), EMA-smoothed, ±std bands, and the
// extent the axes are laid out for. Pure (no DOM): run in the dashboard's Web Worker (lineWorker.ts),
// and on the main thread where no worker runs (linePipeline.ts), with the same results.

import type { Column } from './column';
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
  const drawing: PackedDrawing = { bands: [], lines: [] };
  for (const s of series) {
    if (s.band) drawing.bands.push({ runId: s.runId, lower: decimated(`${s.runId}:lower`, s.xs, s.band.lower), upper: decimated(`${s.runId}:upper`, s.xs, s.band.upper) });
  }
  if (options.showRaw) for (const s of series) drawing.lines.push({ runId: s.runId, smoothed: false, xy: decimated(`${s.runId}:raw`, s.xs, s.raw) });
  for (const s of series) drawing.lines.push({ runId: s.runId, smoothed: true, xy: decimated(`${s.runId}:smoothed`, s.xs, s.smoothed()) });
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

/**
 * The extent of what `computeDrawing` draws, from the columns (no decimation or smoothing needed, so
 * the main thread lays a chart out while the worker computes its lines): decimation keeps every
 * bucket's minimum and maximum and the first and last points (and, zoomed, one point beyond each
 * edge), so the drawn points span the same range as the finite values; the smoothed line stays within
 * the raw values' range (a weighted mean of them), and is the raw line itself without smoothing.
 * Not on a log scale (null): there the axes span the drawn points above 0 (drawnExtent), and a bucket's
 * smallest positive value is not always one of them.
 */
export function extentOf(series: SeriesColumns[], options: Pick<LineOptions, 'zoom' | 'logScale'>): Extent | null {
  if (options.logScale) return null;
  const extent = emptyExtent();
  for (const s of series) {
    const columns = s.band ? [s.raw, s.band.lower, s.band.upper] : [s.raw];
    if (options.zoom) {
      const xs = s.xs.values;
      const [lo, hi] = zoomRange(xs, options.zoom.min, options.zoom.max);
      for (const ys of columns) widen(extent, xs, ys.values, lo, hi, false);
    } else {
      for (const ys of columns) union(extent, wholeExtent(s.xs, ys));
    }
  }
  return extent;
}

const emptyExtent = (): Extent => ({ xMin: Infinity, xMax: -Infinity, yMin: Infinity, yMax: -Infinity });

function union(into: Extent, other: Extent): void {
  into.xMin = Math.min(into.xMin, other.xMin);
  into.xMax = Math.max(into.xMax, other.xMax);
  into.yMin = Math.min(into.yMin, other.yMin);
  into.yMax = Math.max(into.yMax, other.yMax);
}

/** Per y column, its whole extent so far: columns only grow, so a live append reads its new rows only. */
const wholeExtents = new WeakMap<Column, { xs: Column; rows: number; extent: Extent }>();

function wholeExtent(xs: Column, ys: Column): Extent {
  let known = wholeExtents.get(ys);
  const rows = Math.min(xs.length, ys.length);
  if (!known || known.xs !== xs || known.rows > rows) wholeExtents.set(ys, (known = { xs, rows: 0, extent: emptyExtent() }));
  if (rows > known.rows) {
    widen(known.extent, xs.values, ys.values, known.rows, rows, false);
    known.rows = rows;
  }
  return known.extent;
}

/** The rows `decimate` draws for a zoomed range: those within it, and one on each side. */
function zoomRange(xs: Float64Array, min: number, max: number): [number, number] {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < min) lo = mid + 1;
    else hi = mid;
  }
  let end = xs.length;
  let a = lo;
  while (a < end) {
    const mid = (a + end) >> 1;
    if (xs[mid] > max) end = mid;
    else a = mid + 1;
  }
  return [Math.max(0, lo - 1), Math.min(xs.length, end + 1)];
}

function widen(extent: Extent, xs: Float64Array, ys: Float64Array, lo: number, hi: number, log: boolean): void {
  let xMin = extent.xMin;
  let xMax = extent.xMax;
  let yMin = extent.yMin;
  let yMax = extent.yMax;
  const end = Math.min(hi, xs.length, ys.length);
  for (let i = lo; i < end; i++) {
    const y = ys[i];
    // Finite (y − y is NaN for NaN and ±Infinity), as decimation draws, and > 0 on a log scale.
    if (y - y !== 0 || (log && y <= 0)) continue;
    const x = xs[i];
    if (x < xMin) xMin = x;
    if (x > xMax) xMax = x;
    if (y < yMin) yMin = y;
    if (y > yMax) yMax = y;
  }
  extent.xMin = xMin;
  extent.xMax = xMax;
  extent.yMin = yMin;
  extent.yMax = yMax;
}

/** The extent of the points drawn (above 0 only on a log scale). */
export function drawnExtent(drawing: PackedDrawing, log: boolean): Extent {
  const extent = emptyExtent();
  for (const xy of [...drawing.bands.flatMap((b) => [b.lower, b.upper]), ...drawing.lines.map((l) => l.xy)]) {
    for (let i = 0; i < xy.length; i += 2) {
      const y = xy[i + 1];
      if (log && y <= 0) continue;
      extent.xMin = Math.min(extent.xMin, xy[i]);
      extent.xMax = Math.max(extent.xMax, xy[i]);
      extent.yMin = Math.min(extent.yMin, y);
      extent.yMax = Math.max(extent.yMax, y);
    }
  }
  return extent;
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
  | { kind: 'forget'; chart: number }
  /** The page's task that posted draw requests has ended: their answers go back together. */
  | { kind: 'flush' };

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
      case 'flush':
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
