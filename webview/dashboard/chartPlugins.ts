// What the dashboard's charts paint with chart.js plugins: the decimated lines and ±std bands,
// stroked straight from their points (the charts have no chart.js datasets), and the overlay of the
// shared crosshair and the drag-to-zoom selection. Per canvas, in `paints`, set before a chart's first draw.

import type { Plugin, Scale } from 'chart.js';
import { alpha } from './format';
import type { PackedDrawing } from './lines';

export interface Theme {
  grid: string;
  text: string;
  crosshair: string;
}

export interface Overlay {
  crosshairX: number | null;
  dragFrom: number | null;
  dragTo: number | null;
}

/** What a chart shows, in drawing order: ±std bands, then lines (raw faint, smoothed on top); points as [x0, y0, x1, y1, …]. */
export interface Drawing {
  bands: { lower: Float64Array; upper: Float64Array; color: string }[];
  lines: { xy: Float64Array; color: string; width: number }[];
}

/** Lines as computed (lines.ts) in their runs' colours: ±std bands faint, raw lines faint and thin, smoothed lines on top. */
export function drawingOf(packed: PackedDrawing, colors: Map<string, string>): Drawing {
  const color = (runId: string) => colors.get(runId) ?? 'gray';
  return {
    bands: packed.bands.map((b) => ({ lower: b.lower, upper: b.upper, color: alpha(color(b.runId), 0.15) })),
    lines: packed.lines.map((l) => (l.smoothed ? { xy: l.xy, color: color(l.runId), width: 1.5 } : { xy: l.xy, color: alpha(color(l.runId), 0.3), width: 1 })),
  };
}

/** What the plugins paint on a chart, by its canvas: known before chart.js's first draw. */
export interface Paint {
  drawing: Drawing;
  /** The lines are still being computed: the chart is laid out but not drawn yet. */
  pending?: boolean;
  overlay: Overlay;
  theme: Theme;
}

export const paints = new WeakMap<HTMLCanvasElement, Paint>();

export const overlayPlugin: Plugin<'line'> = {
  id: 'rlstudioOverlay',
  afterDraw(chart) {
    const paint = paints.get(chart.canvas);
    if (!paint) return;
    const { overlay, theme } = paint;
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

export const linesPlugin: Plugin<'line'> = {
  id: 'rlstudioLines',
  beforeDraw(chart) {
    // A chart whose lines are on their way is drawn once, with them (chart.draw() when they arrive).
    if (paints.get(chart.canvas)?.pending) return false;
  },
  beforeDatasetsDraw(chart) {
    const drawing = paints.get(chart.canvas)?.drawing;
    if (!drawing) return;
    const { ctx, chartArea, scales } = chart;
    ctx.save();
    ctx.beginPath();
    ctx.rect(chartArea.left, chartArea.top, chartArea.right - chartArea.left, chartArea.bottom - chartArea.top);
    ctx.clip();
    for (const band of drawing.bands) {
      // Upper edge left to right, lower edge back: one polygon.
      ctx.beginPath();
      tracePath(ctx, band.upper, scales.x, scales.y, false, false);
      tracePath(ctx, band.lower, scales.x, scales.y, true, true);
      ctx.closePath();
      ctx.fillStyle = band.color;
      ctx.fill();
    }
    ctx.lineJoin = 'bevel';
    for (const line of drawing.lines) {
      ctx.beginPath();
      tracePath(ctx, line.xy, scales.x, scales.y, false, false);
      ctx.strokeStyle = line.color;
      ctx.lineWidth = line.width;
      ctx.stroke();
    }
    ctx.restore();
  },
};

/** Adds the points (backwards when `reverse`) to the current path; a point without a pixel (≤ 0 on a log scale) breaks the line. */
function tracePath(ctx: CanvasRenderingContext2D, xy: Float64Array, xScale: Scale, yScale: Scale, connect: boolean, reverse: boolean): void {
  let pen = connect;
  const n = xy.length / 2;
  for (let k = 0; k < n; k++) {
    const i = reverse ? n - 1 - k : k;
    const x = xScale.getPixelForValue(xy[2 * i]);
    const y = yScale.getPixelForValue(xy[2 * i + 1]);
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    if (pen) ctx.lineTo(x, y);
    else ctx.moveTo(x, y);
    pen = true;
  }
}
