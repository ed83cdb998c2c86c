// One metric's chart: every overlaid run in its colour, the EMA-smoothed line over the raw line
// drawn faintly, an optional ±std band, a crosshair shared by all charts, drag-to-zoom, and a
// readout with every series' value at the hovered step.

import {
  Chart,
  Filler,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  type ChartDataset,
  type Plugin,
} from 'chart.js';
import { el, formatNumber } from '../shared/dom';
import { Decimator, decimate, nearestIndex, type Point } from './series';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Filler);

/** One run's view of one metric, as the chart needs it. */
export interface ChartSeries {
  runId: string;
  name: string;
  color: string;
  xs: number[];
  raw: (number | null)[];
  smoothed: (number | null)[];
  band?: { lower: (number | null)[]; upper: (number | null)[] };
}

export interface ChartView {
  xLabel: string;
  logScale: boolean;
  zoom: { min: number; max: number } | null;
  showRaw: boolean;
  theme: { grid: string; text: string; crosshair: string };
}

export interface ChartEvents {
  /** The pointer is over this x (or left: null); every chart shows its crosshair there. */
  hover(x: number | null): void;
  /** A click (not a drag) at this x, nearest to this run's line. */
  click(x: number, runId: string): void;
  zoom(range: { min: number; max: number } | null): void;
}

interface Overlay {
  crosshairX: number | null;
  dragFrom: number | null;
  dragTo: number | null;
}

const overlayPlugin: Plugin<'line'> = {
  id: 'rlstudioOverlay',
  afterDraw(chart) {
    const overlay = (chart as unknown as { $overlay?: Overlay }).$overlay;
    const theme = (chart as unknown as { $theme?: ChartView['theme'] }).$theme;
    if (!overlay || !theme) return;
    const { ctx, chartArea, scales } = chart;
    ctx.save();
    if (overlay.crosshairX !== null) {
      const px = scales.x.getPixelForValue(overlay.crosshairX);
      if (px >= chartArea.left && px <= chartArea.right) {
        ctx.strokeStyle = theme.crosshair;
        ctx.lineWidth = 1;
        ctx.setLineDash([3, 3]);
        ctx.beginPath();
        ctx.moveTo(px, chartArea.top);
        ctx.lineTo(px, chartArea.bottom);
        ctx.stroke();
      }
    }
    if (overlay.dragFrom !== null && overlay.dragTo !== null) {
      ctx.fillStyle = theme.crosshair;
      ctx.globalAlpha = 0.15;
      const a = Math.max(chartArea.left, Math.min(overlay.dragFrom, overlay.dragTo));
      const b = Math.min(chartArea.right, Math.max(overlay.dragFrom, overlay.dragTo));
      ctx.fillRect(a, chartArea.top, b - a, chartArea.bottom - chartArea.top);
    }
    ctx.restore();
  },
};

/** Charts whose card has not come near the viewport yet: created when it does. */
const waiting = new WeakMap<Element, MetricChart>();
const nearViewport = new IntersectionObserver(
  (entries) => {
    for (const entry of entries) if (entry.isIntersecting) waiting.get(entry.target)?.show();
  },
  { rootMargin: '200px 0px' },
);

export class MetricChart {
  readonly element: HTMLElement;
  private readonly readout = el('div', { class: 'readout muted', 'aria-live': 'off' });
  private readonly canvas = el('canvas', { role: 'img' });
  /** Created lazily (show()): a card off-screen, or in a collapsed section, costs no canvas work. */
  private chart: Chart<'line', Point[]> | null = null;
  private series: ChartSeries[] = [];
  private view: ChartView;
  private readonly overlay: Overlay = { crosshairX: null, dragFrom: null, dragTo: null };
  /** Points per dataset drawn as given; beyond that the series is decimated. */
  private buckets = 600;
  /** Per dataset key: the whole-series decimation, extended as its arrays grow (live appends). */
  private decimators = new Map<string, Decimator>();

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
    waiting.set(this.element, this);
    nearViewport.observe(this.element);
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
    waiting.delete(this.element);
    nearViewport.unobserve(this.element);
    // The canvas is sized by chart.js to its container: the container's width, as redraw() reads it.
    this.buckets = bucketsFor(this.canvas.parentElement!.clientWidth);
    const chart = new Chart<'line', Point[]>(this.canvas, {
      type: 'line',
      data: { datasets: this.datasets() },
      options: {
        animation: false,
        parsing: false,
        normalized: true,
        responsive: true,
        maintainAspectRatio: false,
        events: [],
        elements: { point: { radius: 0, hoverRadius: 0 }, line: { tension: 0 } },
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
        scales: this.scales(),
      },
      plugins: [overlayPlugin],
    });
    Object.assign(chart, { $overlay: this.overlay, $theme: this.view.theme });
    this.chart = chart;
    // Drawn once already, before the overlay was attached: again if there is a crosshair to show.
    if (this.overlay.crosshairX !== null) chart.draw();
  }

  /** Replaces all data (new runs, smoothing changed, axis changed). */
  setSeries(series: ChartSeries[], view: ChartView): void {
    this.series = series;
    this.view = view;
    this.decimators.clear();
    if (!this.chart) return;
    Object.assign(this.chart, { $theme: view.theme });
    this.redraw();
  }

  /** Data grew (live): recompute this chart's points only, without animation. */
  appended(series: ChartSeries[]): void {
    this.series = series;
    if (this.chart) this.redraw();
  }

  /** Values drawn for a run (after decimation), for tests and the benchmark. */
  drawn(runId: string, kind: 'raw' | 'smoothed'): Point[] {
    const ds = this.chart?.data.datasets.find((d) => (d as unknown as { $key: string }).$key === `${runId}:${kind}`);
    return ds ? (ds.data as Point[]) : [];
  }

  setCrosshair(x: number | null): void {
    this.overlay.crosshairX = x;
    this.chart?.draw();
    this.renderReadout(x);
  }

  destroy(): void {
    waiting.delete(this.element);
    nearViewport.unobserve(this.element);
    this.chart?.destroy();
    this.chart = null;
  }

  /** A dataset's points: the whole series through its kept decimation, a zoomed range afresh. */
  private decimated(key: string, xs: ArrayLike<number>, ys: ArrayLike<number | null>): Point[] {
    const zoom = this.view.zoom;
    if (zoom) return decimate(xs, ys, this.buckets, zoom.min, zoom.max);
    let decimator = this.decimators.get(key);
    if (!decimator?.follows(xs, ys, this.buckets)) {
      decimator = new Decimator(xs, ys, this.buckets);
      this.decimators.set(key, decimator);
    }
    return decimator.points();
  }

  private redraw(): void {
    const chart = this.chart;
    if (!chart) return;
    this.buckets = bucketsFor(this.canvas.clientWidth);
    chart.data.datasets = this.datasets();
    const scales = this.scales();
    Object.assign(chart.options.scales!.x!, scales.x);
    Object.assign(chart.options.scales!.y!, scales.y);
    chart.update('none');
  }

  private datasets(): ChartDataset<'line', Point[]>[] {
    const datasets: ChartDataset<'line', Point[]>[] = [];
    for (const s of this.series) {
      if (s.band) {
        datasets.push(
          keyed(`${s.runId}:lower`, { data: this.decimated(`${s.runId}:lower`, s.xs, s.band.lower), borderWidth: 0, borderColor: 'transparent', fill: false }),
          keyed(`${s.runId}:upper`, { data: this.decimated(`${s.runId}:upper`, s.xs, s.band.upper), borderWidth: 0, borderColor: 'transparent', backgroundColor: alpha(s.color, 0.15), fill: '-1' }),
        );
      }
      if (this.view.showRaw) {
        datasets.push(keyed(`${s.runId}:raw`, { data: this.decimated(`${s.runId}:raw`, s.xs, s.raw), borderColor: alpha(s.color, 0.3), borderWidth: 1 }));
      }
      datasets.push(keyed(`${s.runId}:smoothed`, { data: this.decimated(`${s.runId}:smoothed`, s.xs, s.smoothed), borderColor: s.color, borderWidth: 1.5 }));
    }
    return datasets;
  }

  private scales() {
    const { zoom, logScale, theme } = this.view;
    return {
      x: {
        type: 'linear' as const,
        min: zoom?.min,
        max: zoom?.max,
        title: { display: true, text: this.view.xLabel, color: theme.text },
        grid: { color: theme.grid },
        ticks: { color: theme.text, maxTicksLimit: 6 },
      },
      y: { type: logScale ? ('logarithmic' as const) : ('linear' as const), grid: { color: theme.grid }, ticks: { color: theme.text, maxTicksLimit: 5 } },
    };
  }

  private renderReadout(x: number | null): void {
    this.readout.replaceChildren();
    if (x === null) return;
    let step: number | undefined;
    for (const s of this.series) {
      const i = nearestIndex(s.xs, x);
      if (i < 0) continue;
      step ??= s.xs[i];
      const swatch = el('span', { class: 'swatch' });
      swatch.style.backgroundColor = s.color;
      this.readout.append(
        el(
          'span',
          { class: 'readout-item', 'data-run': s.runId },
          swatch,
          `${s.name}: ${formatNumber(s.smoothed[i], 4)}`,
          this.view.showRaw ? el('span', { class: 'muted' }, ` (raw ${formatNumber(s.raw[i], 4)})`) : null,
        ),
      );
    }
    if (step !== undefined) this.readout.prepend(el('span', { class: 'readout-x' }, `${this.view.xLabel} ${formatNumber(step, 4)}`));
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
      const xs = this.series[0]?.xs ?? [];
      if (xs.length === 0) return;
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
      const i = nearestIndex(s.xs, x);
      const v = i >= 0 ? s.smoothed[i] : null;
      if (v === null || v === undefined) continue;
      const d = Math.abs(chart.scales.y.getPixelForValue(v) - py);
      if (!best || d < best.d) best = { runId: s.runId, d };
    }
    return best?.runId ?? this.series[0]?.runId;
  }
}

/** Buckets for a plot this many pixels wide: one per pixel (4 points each), at least 200. */
function bucketsFor(width: number): number {
  return Math.max(200, Math.round(width || 600));
}

function keyed(key: string, dataset: ChartDataset<'line', Point[]>): ChartDataset<'line', Point[]> {
  return Object.assign(dataset, { $key: key, pointRadius: 0 });
}

/** 'rgb(r, g, b)' or 'rgba(r, g, b, a)' (as getComputedStyle returns colours) with a new alpha. */
export function alpha(color: string, a: number): string {
  const parts = /rgba?\(([^)]+)\)/.exec(color)?.[1].split(/[ ,/]+/).filter(Boolean);
  return parts && parts.length >= 3 ? `rgba(${parts[0]}, ${parts[1]}, ${parts[2]}, ${a})` : color;
}
