// The Selection section's difficulty heatmap: per run with difficulty-targeted selection, x = step,
// y = estimated difficulty in bins of 0.1, colour = number of chosen prompts (selection.jsonl, built by
// the host). Beside the p10/p50/p90 charts. One canvas per run; a legend; hovering a cell, or moving
// over the cells with the arrow keys (Home/End: first/last step) while the canvas has focus, shows
// "step 7 · difficulty 0.4–0.5 · 3 prompts".

import type { DifficultyHistogram } from '../../src/webviews/dashboard/protocol';
import { countScale, binOf, type BinnedScale } from '../../src/common/colorScale';
import { DIFFICULTY_BINS, cellText } from '../../src/common/difficultyHistogram';
import { clear, el } from '../shared/dom';
import { themeColors } from '../shared/theme';

/** The canvas's height and the plot's margins in CSS pixels (exported for the webview tests' pointer). */
export const HEIGHT = 180;
export const MARGIN = { left: 30, right: 6, top: 6, bottom: 18 };

export class DifficultyHeatmap {
  readonly element: HTMLElement;
  private readonly canvas = el('canvas', { class: 'heatmap', tabindex: 0, role: 'img' });
  private readonly hover = el('div', { class: 'readout heatmap-hover', 'aria-live': 'polite' });
  private readonly legend = el('div', { class: 'heatmap-legend' });
  private readonly notes = el('div', { class: 'heatmap-notes muted' });
  private data: DifficultyHistogram | null = null;
  private scale: BinnedScale = countScale(1);
  /** The cell under the pointer or keyboard cursor: index into data.steps, and bin. */
  private active: { index: number; bin: number } | null = null;

  constructor(runId: string, runName: string) {
    this.element = el(
      'div',
      { class: 'chart-card heatmap-card', 'data-run': runId },
      el('div', { class: 'chart-title' }, `selection difficulty over steps · ${runName}`),
      el('div', { class: 'chart-canvas' }, this.canvas),
      this.hover,
      this.legend,
      this.notes,
    );
    this.canvas.setAttribute('aria-label', `Estimated difficulty of the chosen prompts per step, ${runName}: arrow keys move between cells`);
    this.canvas.addEventListener('mousemove', (e) => this.pointAt(e.offsetX, e.offsetY));
    this.canvas.addEventListener('mouseleave', () => this.setActive(null));
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    this.canvas.addEventListener('focus', () => this.setActive(this.active ?? this.firstCell()));
    this.canvas.addEventListener('blur', () => this.setActive(null));
    new ResizeObserver(() => this.draw()).observe(this.canvas.parentElement!);
  }

  show(data: DifficultyHistogram): void {
    this.data = data;
    const max = Math.max(1, ...data.counts.flat());
    this.scale = countScale(max);
    if (this.active && this.active.index >= data.steps.length) this.active = null;
    clear(this.legend);
    this.legend.append('prompts: ');
    this.scale.labels.forEach((label, i) => {
      const swatch = el('span', { class: 'heat-swatch' });
      swatch.style.backgroundColor = this.scale.colors[i];
      this.legend.append(el('span', { class: 'legend-bin' }, swatch, label));
    });
    const unestimated = data.unestimated.reduce((a, b) => a + b, 0);
    clear(this.notes);
    if (unestimated > 0) this.notes.append(el('div', {}, `${unestimated} chosen prompt${unestimated === 1 ? '' : 's'} had no estimate yet (not drawn).`));
    for (const problem of data.problems) this.notes.append(el('div', { class: 'error' }, problem));
    this.draw();
    this.showActive();
  }

  /** The plot area in CSS pixels and the x of each step's column. */
  private geometry() {
    const width = this.canvas.parentElement!.clientWidth || 340;
    const plot = { x: MARGIN.left, y: MARGIN.top, w: Math.max(10, width - MARGIN.left - MARGIN.right), h: HEIGHT - MARGIN.top - MARGIN.bottom };
    const steps = this.data?.steps ?? [];
    const first = steps[0] ?? 0;
    const span = (steps.at(-1) ?? 0) - first + 1;
    const columnWidth = plot.w / span;
    return { width, plot, first, columnWidth, x: (step: number) => plot.x + (step - first) * columnWidth, y: (bin: number) => plot.y + ((DIFFICULTY_BINS - 1 - bin) * plot.h) / DIFFICULTY_BINS };
  }

  private draw(): void {
    const g = this.geometry();
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(g.width * ratio);
    this.canvas.height = Math.round(HEIGHT * ratio);
    this.canvas.style.width = `${g.width}px`;
    this.canvas.style.height = `${HEIGHT}px`;
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, g.width, HEIGHT);
    const [grid, text, focus] = themeColors(['--vscode-editorWidget-border', '--vscode-descriptionForeground', '--vscode-focusBorder'], 'rgb(128, 128, 128)');
    const rowHeight = g.plot.h / DIFFICULTY_BINS;
    const data = this.data;
    if (data) {
      data.steps.forEach((step, i) => {
        for (let bin = 0; bin < DIFFICULTY_BINS; bin++) {
          const count = data.counts[i][bin];
          if (count <= 0) continue;
          ctx.fillStyle = this.scale.colors[binOf(this.scale, count)];
          // Whole pixels, one pixel wider than the column: no seams between neighbours.
          const x0 = Math.floor(g.x(step));
          ctx.fillRect(x0, g.y(bin), Math.max(1, Math.ceil(g.x(step + 1)) - x0), rowHeight);
        }
      });
    }
    ctx.strokeStyle = grid;
    ctx.strokeRect(g.plot.x, g.plot.y, g.plot.w, g.plot.h);
    ctx.fillStyle = text;
    ctx.font = '10px sans-serif';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const v of [0, 0.5, 1]) ctx.fillText(String(v), g.plot.x - 4, g.plot.y + g.plot.h * (1 - v));
    ctx.textBaseline = 'top';
    if (data && data.steps.length > 0) {
      ctx.textAlign = 'left';
      ctx.fillText(`step ${data.steps[0]}`, g.plot.x, g.plot.y + g.plot.h + 4);
      ctx.textAlign = 'right';
      ctx.fillText(`${data.steps.at(-1)}`, g.plot.x + g.plot.w, g.plot.y + g.plot.h + 4);
    }
    if (data && this.active) {
      const step = data.steps[this.active.index];
      ctx.strokeStyle = focus;
      ctx.lineWidth = 2;
      ctx.strokeRect(g.x(step), g.y(this.active.bin), Math.max(2, g.columnWidth), rowHeight);
      ctx.lineWidth = 1;
    }
  }

  /** The cell at canvas coordinates (CSS pixels): the recorded step whose column holds x. */
  private pointAt(x: number, y: number): void {
    const data = this.data;
    if (!data || data.steps.length === 0) return;
    const g = this.geometry();
    if (x < g.plot.x || x > g.plot.x + g.plot.w || y < g.plot.y || y > g.plot.y + g.plot.h) return this.setActive(null);
    const step = g.first + Math.min(Math.floor((x - g.plot.x) / g.columnWidth), data.steps.at(-1)! - g.first);
    const index = data.steps.indexOf(step);
    const bin = DIFFICULTY_BINS - 1 - Math.min(DIFFICULTY_BINS - 1, Math.floor(((y - g.plot.y) * DIFFICULTY_BINS) / g.plot.h));
    this.setActive(index < 0 ? null : { index, bin });
  }

  private onKey(event: KeyboardEvent): void {
    const data = this.data;
    if (!data || data.steps.length === 0) return;
    const at = this.active ?? this.firstCell()!;
    const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    let next: { index: number; bin: number };
    if (event.key === 'Home') next = { index: 0, bin: at.bin };
    else if (event.key === 'End') next = { index: data.steps.length - 1, bin: at.bin };
    else if (moves[event.key]) {
      const [di, db] = moves[event.key];
      next = { index: clamp(at.index + di, data.steps.length - 1), bin: clamp(at.bin + db, DIFFICULTY_BINS - 1) };
    } else return;
    event.preventDefault();
    this.setActive(next);
  }

  /** Where the keyboard starts: the fullest bin of the first step with an estimate (early rounds have none). */
  private firstCell(): { index: number; bin: number } | null {
    if (!this.data || this.data.steps.length === 0) return null;
    const index = Math.max(0, this.data.counts.findIndex((counts) => counts.some((c) => c > 0)));
    const counts = this.data.counts[index];
    return { index, bin: counts.indexOf(Math.max(...counts)) };
  }

  private setActive(cell: { index: number; bin: number } | null): void {
    if (cell?.index === this.active?.index && cell?.bin === this.active?.bin) return;
    this.active = cell;
    this.draw();
    this.showActive();
  }

  private showActive(): void {
    const data = this.data;
    const cell = this.active;
    this.hover.textContent = data && cell ? cellText(data.steps[cell.index], cell.bin, data.counts[cell.index][cell.bin]) : '';
  }
}

function clamp(value: number, max: number): number {
  return Math.max(0, Math.min(max, value));
}

/**
 * The heatmaps of the overlaid runs, first in the Selection section's grid (in run order). Asked again
 * when the charts are rebuilt and when a run logs `selection/` metrics (one request per run at a time;
 * the host reads only the lines appended since).
 */
export class SelectionHeatmaps {
  private maps = new Map<string, DifficultyHeatmap>();
  private grid: HTMLElement | null = null;
  private runs: { runId: string; name: string }[] = [];
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly fetch: (runId: string) => Promise<DifficultyHistogram | null>) {}

  /** After the charts were rebuilt: `grid` is the Selection section's (null when there is none). */
  mount(grid: HTMLElement | null, runs: { runId: string; name: string }[]): void {
    this.grid = grid;
    this.runs = grid ? runs : [];
    this.maps = new Map();
    void this.refresh();
  }

  /** Asks the host for every run's histogram; a call while one runs is folded into one more. */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.load().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.running;
  }

  private async load(): Promise<void> {
    const grid = this.grid;
    for (const run of this.runs) {
      let data: DifficultyHistogram | null;
      try {
        data = await this.fetch(run.runId);
      } catch (error) {
        data = { steps: [], counts: [], unestimated: [], problems: [error instanceof Error ? error.message : String(error)] };
      }
      if (grid !== this.grid) return; // the charts were rebuilt meanwhile
      const existing = this.maps.get(run.runId);
      if (!data) {
        existing?.element.remove();
        this.maps.delete(run.runId);
        continue;
      }
      const map = existing ?? new DifficultyHeatmap(run.runId, run.name);
      if (!existing) {
        this.maps.set(run.runId, map);
        const after = [...grid!.children].find((child) => !child.classList.contains('heatmap-card') || this.isLaterRun(child, run.runId));
        grid!.insertBefore(map.element, after ?? null);
      }
      map.show(data);
    }
  }

  private isLaterRun(card: Element, runId: string): boolean {
    const order = this.runs.map((r) => r.runId);
    const other = [...this.maps].find(([, m]) => m.element === card)?.[0];
    return other !== undefined && order.indexOf(other) > order.indexOf(runId);
  }
}
