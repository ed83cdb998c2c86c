// One metric's chart: every overlaid run in its colour, the EMA-smoothed line over the raw line
// drawn faintly, an optional ±std band, a crosshair shared by all charts, drag-to-zoom, and a
// readout with every series' value at the hovered step.
//
// chart.js lays out and draws the axes, ticks and grid; the decimated lines are stroked by a plugin
// straight from their points (the chart has no datasets). chart.js's datasets would make a point
// element, with resolved options, per drawn point on every update: that was most of the time of a
// dashboard of 20 charts, and of each live append. The lines are decimated and smoothed in the
// dashboard's Web Worker (linePipeline.ts): a chart is laid out while the worker computes, and its
// lines drawn when they arrive (the card then gets `data-drawn`: "worker", or "main" without one).

import { Chart, LineController, LinearScale, LogarithmicScale } from 'chart.js';
import { el } from '../shared/dom';
import { drawingOf, linesPlugin, overlayPlugin, paints, type Overlay, type Paint, type Theme } from './chartPlugins';
import type { Column } from './column';
import { formatValue, tickLabel } from './format';
import { drawnExtent, extentOf, type Extent, type PackedDrawing, type SeriesRef } from './lines';
import { linePipeline, type DrawnBy } from './linePipeline';
import { bucketsFor, nearestIndex } from './series';
import { containerSize, nearViewport } from './watchers';

Chart.register(LineController, LinearScale, LogarithmicScale);

/** One run's view of one metric, as the chart needs it: columns that grow as rows are appended. */
export interface ChartSeries {
  runId: string;
  name: string;
  color: string;
  xs: Column;
  raw: Column;
  /** Made (or brought up to date) when called: only charts on screen smooth their series. */
  smoothed: () => Column;
  band?: { lower: Column; upper: Column };
  /** The same series in the chart worker's copy of the runs (without it, drawn on the main thread). */
  ref?: SeriesRef;
}

export interface ChartView {
  xLabel: string;
  /** x takes whole numbers only (steps): no ticks between them (1.5, 2.5). */
  integerX: boolean;
  logScale: boolean;
  zoom: { min: number; max: number } | null;
  showRaw: boolean;
  theme: Theme;
}

export interface ChartEvents {
  /** The pointer is over this x (or left: null); every chart shows its crosshair there. */
  hover(x: number | null): void;
  /** A click (not a drag) at this x, nearest to this run's line. */
  click(x: number, runId: string): void;
  zoom(range: { min: number; max: number } | null): void;
}

let chartIds = 0;
const NOTHING: PackedDrawing = { bands: [], lines: [] };

export class MetricChart {
  readonly element: HTMLElement;
  /** Names this chart's requests and kept decimations in the line pipeline. */
  private readonly id = ++chartIds;
  /** The latest draw request's number; an older answer is dropped. */
  private seq = 0;
  /** The next request starts the decimations again (new series, smoothing, axis or zoom). */
  private reset = true;
  /** The lines last computed for this chart (before the first answer: none), for request `appliedSeq`, by `drawnBy`. */
  private packed: PackedDrawing = NOTHING;
  private appliedSeq = 0;
  private drawnBy: DrawnBy = 'main';
  /** Times drawn with lines (the card's data-draws). */
  private draws = 0;
  /** The request whose extent the chart was laid out for (at creation): its lines need a draw only. */
  private laidOutFor = 0;
  /** The extent the axes are laid out for (null: not known before the lines). */
  private extent: Extent | null = null;
  private readonly readout = el('div', { class: 'readout muted', 'aria-live': 'off' });
  private readonly canvas = el('canvas', { role: 'img' });
  /** Created lazily (show()): a card off-screen, or in a collapsed section, costs no canvas work. */
  private chart: Chart<'line'> | null = null;
  private series: ChartSeries[] = [];
  private view: ChartView;
  private readonly overlay: Overlay = { crosshairX: null, dragFrom: null, dragTo: null };
  /** Points per dataset drawn as given; beyond that the series is decimated. */
  private buckets = 600;

  /**
   * The card is appended to `parent`; the chart itself is created when the card nears the
   * viewport (or at once by show(), e.g. for the cards on screen when the dashboard is built).
   */
  constructor(
    readonly metric: string,
    view: ChartView,
    private readonly events: ChartEvents,
    parent: HTMLElement,
  ) {
    this.view = view;
    this.canvas.setAttribute('aria-label', `Chart of ${metric}`);
    this.element = el(
      'div',
      { class: 'chart-card', tabindex: 0, 'data-metric': metric, 'aria-label': `${metric}; arrow keys, Home and End move the crosshair, Enter opens the rollouts` },
      el('div', { class: 'chart-title' }, metric),
      el('div', { class: 'chart-canvas' }, this.canvas),
      this.readout,
    );
    parent.appendChild(this.element);
    nearViewport.watch(this.element, this);
    this.listen();
  }

  /** Whether the card is within (or `margin` px of) the viewport and laid out (not in a collapsed section). */
  isNearViewport(margin = 200): boolean {
    const box = this.element.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && box.bottom >= -margin && box.top <= window.innerHeight + margin;
  }

  /** Creates the chart (once), with the current series: it is laid out and drawn once. */
  show(): void {
    if (this.chart) return;
    nearViewport.unwatch(this.element);
    // The canvas takes its container's size (CSS pixels; chart.js scales it for the pixel ratio).
    const container = this.canvas.parentElement!;
    this.canvas.width = container.clientWidth;
    this.canvas.height = container.clientHeight;
    this.buckets = bucketsFor(this.canvas.width);
    // Asked first: the worker computes the lines while chart.js lays the chart out (on the main
    // thread, the lines are computed now and drawn with the chart's first frame).
    this.request();
    // Laid out now, for the extent of the lines asked for; drawn (axes and lines) once they are here.
    const pending = this.appliedSeq !== this.seq;
    this.laidOutFor = this.seq;
    paints.set(this.canvas, { ...this.paint(), pending });
    const chart = new Chart<'line'>(this.canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        responsive: false,
        maintainAspectRatio: false,
        events: [],
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
        scales: this.scales(),
      },
      plugins: [linesPlugin, overlayPlugin],
    });
    this.chart = chart;
    if (!pending) this.markDrawn();
    containerSize.watch(container, this);
  }

  /** The container changed size: the chart follows (and is decimated again for its new width). */
  resize(width: number, height: number): void {
    const chart = this.chart;
    if (!chart || width <= 0 || height <= 0 || (Math.round(width) === chart.width && Math.round(height) === chart.height)) return;
    chart.resize(Math.round(width), Math.round(height));
    this.redraw();
  }

  /** Replaces all data (new runs, smoothing changed, axis changed). */
  setSeries(series: ChartSeries[], view: ChartView): void {
    this.series = series;
    this.view = view;
    this.reset = true;
    if (!this.chart) return;
    this.redraw();
  }

  /** Data grew (live): recompute this chart's points only, without animation. */
  appended(series: ChartSeries[]): void {
    this.series = series;
    if (this.chart) this.redraw();
  }

  setCrosshair(x: number | null): void {
    this.overlay.crosshairX = x;
    this.chart?.draw();
    this.renderReadout(x);
  }

  destroy(): void {
    nearViewport.unwatch(this.element);
    const container = this.canvas.parentElement;
    if (container) containerSize.unwatch(container);
    this.chart?.destroy();
    this.chart = null;
    linePipeline().forget(this.id);
  }

  private redraw(): void {
    if (!this.chart) return;
    this.buckets = bucketsFor(this.chart.width);
    this.request();
  }

  /** Asks the line pipeline for this chart's lines; applied when they come (at once on the main thread). */
  private request(): void {
    const seq = ++this.seq;
    const { showRaw, zoom, logScale } = this.view;
    // Known now (the axes are laid out while the lines are computed), except on a log scale.
    this.extent = extentOf(this.series, { zoom, logScale });
    const reset = this.reset;
    this.reset = false;
    linePipeline().draw({
      chart: this.id,
      seq,
      series: this.series,
      options: { showRaw, zoom, logScale, buckets: this.buckets },
      reset,
      apply: (packed, by) => this.apply(seq, packed, by),
    });
  }

  /** Lines arrived: the axes follow their extent, and the chart is drawn with them. */
  private apply(seq: number, packed: PackedDrawing, by: DrawnBy): void {
    if (seq !== this.seq) return;
    this.packed = packed;
    this.appliedSeq = seq;
    this.drawnBy = by;
    const chart = this.chart;
    if (!chart) return; // the chart is being created: it draws these lines in its first frame
    paints.set(this.canvas, this.paint());
    if (seq === this.laidOutFor && this.extent) {
      chart.draw();
    } else {
      const scales = this.scales();
      Object.assign(chart.options.scales!.x!, scales.x);
      Object.assign(chart.options.scales!.y!, scales.y);
      chart.update('none');
    }
    this.markDrawn();
  }

  /** The card says its chart is drawn with its lines, by whom, and how often (read by tests and the benchmark). */
  private markDrawn(): void {
    this.element.dataset.drawn = this.drawnBy;
    this.element.dataset.draws = String(++this.draws);
  }

  /** What the plugins paint: the packed lines in the runs' colours, the overlay, the theme. */
  private paint(): Paint {
    const colors = new Map(this.series.map((s) => [s.runId, s.color]));
    return { drawing: drawingOf(this.packed, colors), overlay: this.overlay, theme: this.view.theme };
  }

  /** Axis options for what is drawn. */
  private scales() {
    const { zoom, logScale, theme } = this.view;
    // Suggested bounds: chart.js still rounds them out to nice ticks, as it did from datasets.
    const { xMin, xMax, yMin, yMax } = this.extent ?? drawnExtent(this.packed, logScale);
    const finite = (v: number) => (Number.isFinite(v) ? v : undefined);
    return {
      x: {
        type: 'linear' as const,
        min: zoom?.min,
        max: zoom?.max,
        suggestedMin: finite(xMin),
        suggestedMax: finite(xMax),
        title: { display: true, text: this.view.xLabel, color: theme.text },
        grid: { color: theme.grid },
        // No label rotation to try (chart.js's performance guide).
        ticks: { color: theme.text, maxTicksLimit: 6, minRotation: 0, maxRotation: 0, callback: tickLabel, precision: this.view.integerX ? 0 : undefined },
      },
      y: {
        type: logScale ? ('logarithmic' as const) : ('linear' as const),
        suggestedMin: finite(yMin),
        suggestedMax: finite(yMax),
        grid: { color: theme.grid },
        // The log scale keeps chart.js's labels (it leaves out most minor ticks' labels).
        ticks: { color: theme.text, maxTicksLimit: 5, ...(logScale ? {} : { callback: tickLabel }) },
      },
    };
  }

  private renderReadout(x: number | null): void {
    this.readout.replaceChildren();
    if (x === null) return;
    let step: number | undefined;
    for (const s of this.series) {
      const xs = s.xs.values;
      const i = nearestIndex(xs, x);
      if (i < 0) continue;
      step ??= xs[i];
      const swatch = el('span', { class: 'swatch' });
      swatch.style.backgroundColor = s.color;
      this.readout.append(
        el(
          'span',
          { class: 'readout-item', 'data-run': s.runId },
          swatch,
          `${s.name}: ${formatValue(s.smoothed().values[i])}`,
          this.view.showRaw ? el('span', { class: 'muted' }, ` (raw ${formatValue(s.raw.values[i])})`) : null,
        ),
      );
    }
    if (step !== undefined) this.readout.prepend(el('span', { class: 'readout-x' }, `${this.view.xLabel} ${formatValue(step)}`));
  }

  // --- pointer and keyboard -------------------------------------------------------------------

  private listen(): void {
    // The pointer is only ever over a shown chart (a canvas on screen); guarded all the same.
    const valueAt = (event: MouseEvent) => {
      const box = this.canvas.getBoundingClientRect();
      const px = event.clientX - box.left;
      return { px, x: this.chart?.scales.x.getValueForPixel(px) ?? 0, py: event.clientY - box.top };
    };
    let pan: { px: number; zoom: { min: number; max: number } } | null = null;
    this.canvas.addEventListener('mousemove', (e) => {
      const { px, x } = valueAt(e);
      if (pan && this.chart) {
        const scale = this.chart.scales.x;
        const shift = (scale.getValueForPixel(pan.px) ?? 0) - (scale.getValueForPixel(px) ?? 0);
        this.events.zoom({ min: pan.zoom.min + shift, max: pan.zoom.max + shift });
        pan = { px, zoom: { min: pan.zoom.min + shift, max: pan.zoom.max + shift } };
        return;
      }
      if (this.overlay.dragFrom !== null) this.overlay.dragTo = px;
      this.events.hover(x);
    });
    this.canvas.addEventListener('mouseleave', () => {
      this.overlay.dragFrom = this.overlay.dragTo = null;
      pan = null;
      this.events.hover(null);
    });
    this.canvas.addEventListener('mousedown', (e) => {
      const { px } = valueAt(e);
      if (e.shiftKey && this.view.zoom) {
        pan = { px, zoom: this.view.zoom };
      } else {
        this.overlay.dragFrom = px;
        this.overlay.dragTo = px;
      }
    });
    this.canvas.addEventListener('mouseup', (e) => {
      const { px, x, py } = valueAt(e);
      const from = this.overlay.dragFrom;
      this.overlay.dragFrom = this.overlay.dragTo = null;
      if (pan) {
        pan = null;
        return;
      }
      if (from !== null && Math.abs(px - from) > 5 && this.chart) {
        const scale = this.chart.scales.x;
        const a = scale.getValueForPixel(Math.min(from, px)) ?? 0;
        const b = scale.getValueForPixel(Math.max(from, px)) ?? 0;
        this.events.zoom({ min: a, max: b });
      } else {
        const runId = this.nearestRun(x, py);
        if (runId) this.events.click(x, runId);
      }
    });
    this.canvas.addEventListener('dblclick', () => this.events.zoom(null));
    this.element.addEventListener('keydown', (e) => {
      const xs = this.series[0]?.xs.values;
      if (!xs?.length) return;
      const at = this.overlay.crosshairX === null ? xs.length - 1 : nearestIndex(xs, this.overlay.crosshairX);
      if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
        e.preventDefault();
        const next = Math.max(0, Math.min(xs.length - 1, at + (e.key === 'ArrowRight' ? 1 : -1)));
        this.events.hover(xs[next]);
      } else if (e.key === 'Home' || e.key === 'End') {
        e.preventDefault();
        this.events.hover(e.key === 'Home' ? xs[0] : xs[xs.length - 1]);
      } else if (e.key === 'Enter') {
        this.events.click(xs[at], this.series[0].runId);
      } else if (e.key === 'Escape') {
        this.events.hover(null);
      }
    });
  }

  /** The run whose smoothed line passes closest to the pointer at x. */
  private nearestRun(x: number, py: number): string | undefined {
    let best: { runId: string; d: number } | undefined;
    const chart = this.chart;
    if (!chart) return this.series[0]?.runId;
    for (const s of this.series) {
      const i = nearestIndex(s.xs.values, x);
      const v = i >= 0 ? s.smoothed().values[i] : NaN;
      if (!Number.isFinite(v)) continue;
      const d = Math.abs(chart.scales.y.getPixelForValue(v) - py);
      if (!best || d < best.d) best = { runId: s.runId, d };
    }
    return best?.runId ?? this.series[0]?.runId;
  }
}
