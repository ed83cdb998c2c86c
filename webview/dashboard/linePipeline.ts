// Where a chart's lines are computed: in the dashboard's Web Worker (lineWorker.ts) when it runs,
// else on the main thread with the same code (lines.ts). The worker keeps a copy of the overlaid runs'
// columns — the main thread keeps its own for the hover readout, click-through and alerts — made once
// per snapshot and transferred, then only appended rows; a chart's request is answered with its lines
// as transferred buffers, applied when they arrive (a newer request of the same chart wins). Requests
// are posted at once (the worker computes while this thread lays charts out); the answers to one task's
// requests come back together, after its 'flush': applied in one task, for one frame.

import type { MetricsAppend, RunMetrics } from '../../src/webviews/dashboard/protocol';
import { computeDrawing, type LineMessage, type LineOptions, type LineResult, type PackedDrawing, type RunColumns, type SeriesColumns, type SeriesRef } from './lines';
import type { Decimator } from './series';

export type DrawnBy = 'worker' | 'main';

/** A series as a chart holds it: its columns on this thread, and what names them in the worker's copy. */
export type PipelineSeries = SeriesColumns & { ref?: SeriesRef };

export interface DrawRequest {
  chart: number;
  seq: number;
  series: PipelineSeries[];
  options: LineOptions;
  /** Start the chart's decimations again (new series or view). */
  reset: boolean;
  apply: (drawing: PackedDrawing, by: DrawnBy) => void;
}

interface Pipeline {
  draw(request: DrawRequest): void;
  forget(chart: number): void;
  post?(message: LineMessage, transfer: Transferable[]): void;
}

/** The main thread's pipeline: computes at once, from the chart's own columns. */
class InProcess implements Pipeline {
  private decimators = new Map<number, Map<string, Decimator>>();

  draw(request: DrawRequest): void {
    let decimators = this.decimators.get(request.chart);
    if (!decimators || request.reset) this.decimators.set(request.chart, (decimators = new Map()));
    request.apply(computeDrawing(request.series, request.options, decimators), 'main');
  }

  forget(chart: number): void {
    this.decimators.delete(chart);
  }
}

class InWorker implements Pipeline {
  private readonly worker: Worker;
  private readonly pending = new Map<number, DrawRequest>();
  /** Whether this task has posted requests, whose answers the worker sends when it ends ('flush'). */
  private flushing = false;

  constructor(source: string) {
    const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    this.worker = new Worker(url, { name: 'dashboard-lines' });
    this.worker.onmessage = (event: MessageEvent<LineResult[]>) => {
      // One task's answers, together.
      for (const { chart, seq, drawing } of event.data) {
        const request = this.pending.get(chart);
        if (request?.seq !== seq) continue; // superseded by a newer request of that chart
        this.pending.delete(chart);
        request.apply(drawing, 'worker');
      }
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      this.fail(event.message || 'the worker failed');
    };
  }

  post(message: LineMessage, transfer: Transferable[]): void {
    this.worker.postMessage(message, transfer);
    if (message.kind !== 'draw' || this.flushing) return;
    this.flushing = true;
    queueMicrotask(() => {
      this.flushing = false;
      this.worker.postMessage({ kind: 'flush' } satisfies LineMessage);
    });
  }

  draw(request: DrawRequest): void {
    const refs = request.series.map((s) => s.ref);
    if (!refs.every((ref) => ref !== undefined)) {
      // Columns the worker has no copy of: drawn here.
      inProcess.draw(request);
      return;
    }
    this.pending.set(request.chart, request);
    this.post({ kind: 'draw', chart: request.chart, seq: request.seq, refs, options: request.options, reset: request.reset }, []);
  }

  forget(chart: number): void {
    this.pending.delete(chart);
    this.post({ kind: 'forget', chart }, []);
  }

  /** The worker is gone: what it owed, and everything after, is drawn on the main thread. */
  private fail(reason: string): void {
    console.error(`Dashboard: the chart worker failed (${reason}); charts are drawn on the main thread.`);
    this.worker.terminate();
    current = inProcess;
    for (const request of this.pending.values()) inProcess.draw({ ...request, reset: true });
    this.pending.clear();
  }
}

const inProcess = new InProcess();
let current: Pipeline = inProcess;

/** The pipeline charts draw through now. */
export function linePipeline(): Pipeline {
  return current;
}

/** Draws through a worker started from this bundled source; stays on the main thread if it cannot start. */
export function useWorker(source: string): void {
  try {
    current = new InWorker(source);
  } catch (error) {
    console.error(`Dashboard: the chart worker did not start (${error instanceof Error ? error.message : String(error)}); charts are drawn on the main thread.`);
  }
}

/** A snapshot's runs, copied for the worker (transferred, not cloned again) with the EMA weight. */
export function mirrorSnapshot(runs: RunMetrics[], smoothing: number): void {
  if (!current.post) return;
  const copies: RunColumns[] = runs.map((r) => ({
    runId: r.runId,
    steps: r.steps.slice(),
    times: r.times.slice(),
    metrics: new Map(Object.entries(r.metrics).map(([name, values]) => [name, values.slice()])),
  }));
  const buffers = copies.flatMap((r) => [r.steps.buffer, r.times.buffer, ...[...r.metrics.values()].map((v) => v.buffer)]);
  current.post({ kind: 'load', runs: copies, smoothing }, buffers);
}

/** Rows the main thread took (their `from` matched): the same rows for the worker's copy. */
export function mirrorAppend(append: MetricsAppend): void {
  if (!current.post) return;
  const metrics = Object.fromEntries(Object.entries(append.metrics).map(([name, values]) => [name, values.slice()]));
  const copy: MetricsAppend = { ...append, steps: append.steps.slice(), times: append.times.slice(), metrics };
  current.post({ kind: 'append', append: copy }, [copy.steps.buffer, copy.times.buffer, ...Object.values(metrics).map((v) => v.buffer)]);
}

export function mirrorSmoothing(smoothing: number): void {
  current.post?.({ kind: 'smoothing', smoothing }, []);
}
