// The dashboard's chart lines as the worker computes them (lines.ts's LineStore, fed the messages the
// main thread posts it, through structured clones with transferred buffers as postMessage does), against
// the main-thread pipeline they replace — each line's whole-series Decimator kept and extended (or, zoomed,
// decimate()), over the main thread's EMA (equal to series.ts's one-shot EMA) and value ± std — on random data with NaN gaps and Infinity,
// after live appends, a smoothing change and a zoom; and the extent a chart is laid out for before the
// lines arrive, against the extent of the lines drawn.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetricsAppend, RunMetrics } from '../../../src/webviews/dashboard/protocol';
import type { Column } from '../../../webview/dashboard/column';
import { LineStore, buffersOf, drawnExtent as drawnExtentOf, extentOf, type LineMessage, type LineOptions, type PackedDrawing, type SeriesColumns, type SeriesRef } from '../../../webview/dashboard/lines';
import { appendToRun, band, elapsed, smoothRun, smoothedOf, toRunData, type RunData } from '../../../webview/dashboard/runData';
import { Decimator, decimate, ema, type Point } from '../../../webview/dashboard/series';

function noise(seed: number): () => number {
  let state = seed;
  return () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

/** A column with NaN gaps (single rows and runs of rows), an Infinity, and values of both signs. */
function randomColumn(random: () => number, rows: number, scale: number): Float64Array {
  let gap = 0;
  return Float64Array.from({ length: rows }, (_, i) => {
    if (gap > 0 || random() < 0.002) {
      gap = gap > 0 ? gap - 1 : Math.floor(random() * 200);
      return NaN;
    }
    if (random() < 0.03) return NaN;
    if (random() < 0.0005) return Infinity;
    return (Math.sin(i / (50 + scale)) + random() - 0.3) * scale;
  });
}

function randomRun(runId: string, random: () => number, rows: number): RunMetrics {
  return {
    runId,
    name: runId,
    status: 'running',
    steps: Float64Array.from({ length: rows }, (_, i) => i + 1),
    times: Float64Array.from({ length: rows }, (_, i) => 1_800_000_000 + 2 * i + random()),
    metrics: { reward: randomColumn(random, rows, 1), reward_std: Float64Array.from({ length: rows }, () => random() * 0.2), loss: randomColumn(random, rows, 0.01), 'late/metric': Float64Array.from({ length: rows }, (_, i) => (i < rows / 2 ? NaN : random())) },
    recordedSteps: [],
    config: {},
    nonFinite: {},
  };
}

function randomAppend(run: RunMetrics, from: number, count: number, random: () => number): MetricsAppend {
  const rows = (f: (i: number) => number) => Float64Array.from({ length: count }, (_, i) => f(from + i));
  return {
    runId: run.runId,
    from,
    steps: rows((i) => i + 1),
    times: rows((i) => 1_800_000_000 + 2 * i),
    // `loss` absent from these rows: NaN there.
    metrics: { reward: rows(() => (random() < 0.1 ? NaN : random() * 3 - 1)), reward_std: rows(() => random() * 0.2), 'late/metric': rows(() => random()) },
    nonFinite: {},
  };
}

/** What a postMessage delivers: a structured clone, with the listed buffers moved (detached here). */
function post<T>(message: T, transfer: ArrayBuffer[] = []): T {
  return structuredClone(message, { transfer: [...new Set(transfer)] });
}

/**
 * The main-thread pipeline the worker replaces (MetricChart.drawing() before the worker): per line,
 * a kept Decimator over the run's columns (decimate() when zoomed), the EMA of series.ts, value ± std.
 */
class Reference {
  readonly runs = new Map<string, RunData>();
  private decimators = new Map<string, Decimator>();
  smoothing = 0;

  constructor(runs: RunMetrics[], smoothing: number) {
    // Columns of their own (the worker gets copies, the host's arrays stay here).
    for (const r of runs) this.runs.set(r.runId, toRunData(structuredClone(r), ''));
    this.setSmoothing(smoothing);
  }

  setSmoothing(weight: number): void {
    this.smoothing = weight;
    for (const run of this.runs.values()) smoothRun(run, weight);
    this.decimators.clear();
  }

  draw(refs: SeriesRef[], options: LineOptions): Point[][] {
    const lines: Point[][] = [];
    const points = (key: string, xs: Column, ys: Column) => {
      if (options.zoom) return decimate(xs.values, ys.values, options.buckets, options.zoom.min, options.zoom.max);
      let d = this.decimators.get(key);
      if (!d?.follows(xs, ys, options.buckets)) this.decimators.set(key, (d = new Decimator(xs, ys, options.buckets)));
      return d.points();
    };
    const series = refs.map((ref) => this.columns(ref));
    for (const [ref, s] of refs.map((r, i) => [r, series[i]] as const)) if (s.band) lines.push(points(`${ref.metric}:${ref.runId}:lower`, s.xs, s.band.lower), points(`${ref.metric}:${ref.runId}:upper`, s.xs, s.band.upper));
    if (options.showRaw) for (const [ref, s] of refs.map((r, i) => [r, series[i]] as const)) lines.push(points(`${ref.metric}:${ref.runId}:raw`, s.xs, s.raw));
    for (const [ref, s] of refs.map((r, i) => [r, series[i]] as const)) lines.push(points(`${ref.metric}:${ref.runId}:smoothed`, s.xs, s.smoothed()));
    return lines;
  }

  columns(ref: SeriesRef): SeriesColumns {
    const run = this.runs.get(ref.runId)!;
    const raw = run.metrics.get(ref.metric)!;
    const std = ref.std ? run.metrics.get(ref.std) : undefined;
    return {
      runId: ref.runId,
      xs: ref.x === 'step' ? run.steps : elapsed(run),
      raw,
      // The main thread's EMA, continued over appended rows — checked against series.ts's one-shot EMA.
      smoothed: () => {
        const column = smoothedOf(run, ref.metric);
        assert.deepEqual(column.values, ema(raw.values, this.smoothing));
        return column;
      },
      band: std && band(run, ref.metric, raw, std),
    };
  }
}

function unpack(drawing: PackedDrawing): Point[][] {
  const points = (xy: Float64Array) => Array.from({ length: xy.length / 2 }, (_, i) => ({ x: xy[2 * i], y: xy[2 * i + 1] }));
  return [...drawing.bands.flatMap((b) => [points(b.lower), points(b.upper)]), ...drawing.lines.map((l) => points(l.xy))];
}

describe('dashboard chart worker lines', () => {
  it('equal the main-thread decimation and EMA on random data with NaN gaps, through appends, smoothing and zoom', () => {
    const random = noise(42);
    const runs = [randomRun('a', random, 20_000), randomRun('b', random, 7_000)];
    const store = new LineStore();
    const reference = new Reference(runs, 0.6);
    // What the main thread posts: copies of the host's columns, transferred.
    const copies = runs.map((r) => ({ runId: r.runId, steps: r.steps.slice(), times: r.times.slice(), metrics: new Map(Object.entries(r.metrics).map(([k, v]) => [k, v.slice()])) }));
    store.handle(post<LineMessage>({ kind: 'load', runs: copies, smoothing: 0.6 }, copies.flatMap((c) => [c.steps.buffer, c.times.buffer, ...[...c.metrics.values()].map((v) => v.buffer)]) as ArrayBuffer[]));

    const charts: { chart: number; refs: SeriesRef[] }[] = [
      { chart: 1, refs: ['a', 'b'].map((runId) => ({ runId, x: 'step' as const, metric: 'reward', std: 'reward_std' })) },
      { chart: 2, refs: ['a', 'b'].map((runId) => ({ runId, x: 'time' as const, metric: 'loss' })) },
      { chart: 3, refs: [{ runId: 'a', x: 'step', metric: 'late/metric' }] },
    ];
    let seq = 0;
    let compared = 0;
    const check = (options: LineOptions, reset = false) => {
      for (const { chart, refs } of charts) {
        const result = store.handle(post<LineMessage>({ kind: 'draw', chart, seq: ++seq, refs, options, reset }))!;
        // Back to the main thread, its buffers transferred.
        const drawing = post(result, buffersOf(result.drawing) as ArrayBuffer[]).drawing;
        const expected = reference.draw(refs, options);
        assert.deepEqual(unpack(drawing), expected, `chart ${chart}, ${JSON.stringify(options)}`);
        compared += expected.reduce((n, line) => n + line.length, 0);
        // The extent the chart is laid out for, from the columns, is that of the lines drawn.
        const drawnExtent = { xMin: Infinity, xMax: -Infinity, yMin: Infinity, yMax: -Infinity };
        for (const p of expected.flat()) {
          if (options.logScale && p.y <= 0) continue;
          drawnExtent.xMin = Math.min(drawnExtent.xMin, p.x);
          drawnExtent.xMax = Math.max(drawnExtent.xMax, p.x);
          drawnExtent.yMin = Math.min(drawnExtent.yMin, p.y);
          drawnExtent.yMax = Math.max(drawnExtent.yMax, p.y);
        }
        const laidOut = extentOf(refs.map((ref) => reference.columns(ref)), options);
        // On a log scale the axes wait for the lines (a bucket's smallest positive value may not be drawn).
        if (options.logScale) {
          assert.equal(laidOut, null);
          assert.deepEqual(drawnExtentOf(drawing, true), drawnExtent);
          continue;
        }
        assert.ok(laidOut);
        assert.equal(laidOut.xMin, drawnExtent.xMin);
        assert.equal(laidOut.xMax, drawnExtent.xMax);
        // The smoothed line is a weighted mean of raw values: within their range up to rounding.
        const close = (a: number, b: number) => a === b || Math.abs(a - b) <= 1e-12 * Math.abs(b);
        assert.ok(close(laidOut.yMin, drawnExtent.yMin), `yMin ${laidOut.yMin} vs ${drawnExtent.yMin}`);
        assert.ok(close(laidOut.yMax, drawnExtent.yMax), `yMax ${laidOut.yMax} vs ${drawnExtent.yMax}`);
      }
    };
    const plain: LineOptions = { showRaw: true, buckets: 300, zoom: null, logScale: false };
    check(plain, true);
    check({ ...plain, logScale: true });
    // Live appends, a few rows at a time: the kept decimations extended on both sides.
    for (let k = 0; k < 30; k++) {
      for (const run of runs) {
        const mirrored = reference.runs.get(run.runId)!;
        const append = randomAppend(run, mirrored.steps.length, 1 + Math.floor(random() * 400), random);
        appendToRun(mirrored, structuredClone(append));
        store.handle(post<LineMessage>({ kind: 'append', append }, [append.steps.buffer, append.times.buffer, ...Object.values(append.metrics).map((v) => v.buffer)] as ArrayBuffer[]));
      }
      check(plain);
    }
    // Smoothing changed (0: the raw values, no raw line), then a zoom and a narrower chart.
    store.handle(post<LineMessage>({ kind: 'smoothing', smoothing: 0 }));
    reference.setSmoothing(0);
    check({ ...plain, showRaw: false }, true);
    store.handle(post<LineMessage>({ kind: 'smoothing', smoothing: 0.95 }));
    reference.setSmoothing(0.95);
    check({ ...plain, zoom: { min: 3_000, max: 9_500.5 } }, true);
    check({ ...plain, buckets: 200 }, true);
    assert.ok(compared > 50_000, `compared ${compared} points`);
  });

  it('a draw for a run or metric it has no copy of draws nothing for it', () => {
    const store = new LineStore();
    const result = store.handle({ kind: 'draw', chart: 1, seq: 1, refs: [{ runId: 'gone', x: 'step', metric: 'reward' }], options: { showRaw: true, buckets: 200, zoom: null, logScale: false }, reset: true });
    assert.deepEqual(result, { chart: 1, seq: 1, drawing: { bands: [], lines: [] } });
  });
});
