// pass@k curves: k on a log2 axis, one line per evaluated checkpoint (base included), and a sentence
// for every pair whose curves cross ("base overtakes checkpoint-200 at k ≥ 32").

import { Chart, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip } from 'chart.js';
import { crossing, type Crossing } from '../../src/common/passAtK';
import type { EvalSummary } from '../../src/webviews/compare/protocol';
import { el } from '../shared/dom';
import { themeColors } from '../shared/theme';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip);

export interface Curve {
  name: string;
  /** pass@k at each of the summary's k (null when not computed). */
  values: (number | null)[];
}

export function curvesOf(summary: EvalSummary, checkpoints: readonly string[]): Curve[] {
  return checkpoints.map((name) => ({ name, values: summary.k.map((k) => summary.checkpoints[name]?.passAtK[String(k)] ?? null) }));
}

/** Every crossing between two curves, the earliest k first. */
export function crossings(ks: readonly number[], curves: readonly Curve[]): Crossing[] {
  const found: Crossing[] = [];
  for (let i = 0; i < curves.length; i++) {
    for (let j = i + 1; j < curves.length; j++) {
      const c = crossing(ks, curves[i], curves[j]);
      if (c) found.push(c);
    }
  }
  return found.sort((a, b) => a.atK - b.atK);
}

export const PALETTE = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-red', '--vscode-charts-purple', '--vscode-charts-yellow'];

export class CurvesView {
  readonly element = el('section', { class: 'curves', 'aria-label': 'pass@k curves' });
  private readonly canvas = el('canvas', { role: 'img' });
  private readonly notes = el('ul', { class: 'crossings', 'aria-live': 'polite' });
  private chart: Chart<'line', { x: number; y: number }[]> | null = null;

  constructor() {
    this.element.append(el('div', { class: 'chart-box' }, this.canvas), this.notes);
  }

  show(summary: EvalSummary, checkpoints: readonly string[]): void {
    const curves = curvesOf(summary, checkpoints);
    const colors = themeColors(PALETTE);
    const [grid, text] = [themeColors(['--vscode-editorWidget-border'], 'rgba(128, 128, 128, 0.25)')[0], themeColors(['--vscode-descriptionForeground'], 'rgb(128, 128, 128)')[0]];
    const datasets = curves.map((curve, i) => ({
      label: curve.name,
      data: summary.k.flatMap((k, j) => (curve.values[j] === null ? [] : [{ x: Math.log2(k), y: curve.values[j]! }])),
      borderColor: colors[i % colors.length],
      backgroundColor: colors[i % colors.length],
      pointRadius: 3,
      borderWidth: 2,
    }));
    this.canvas.setAttribute('aria-label', `pass@k for k = ${summary.k.join(', ')}: ${curves.map((c) => `${c.name} ${c.values.map((v) => (v === null ? '—' : v.toFixed(3))).join(', ')}`).join('; ')}`);
    this.chart?.destroy();
    this.chart = new Chart(this.canvas, {
      type: 'line',
      data: { datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        scales: {
          x: {
            type: 'linear',
            min: 0,
            max: Math.log2(Math.max(1, ...summary.k)),
            title: { display: true, text: 'k (samples, log2 scale)', color: text },
            ticks: { stepSize: 1, color: text, callback: (v) => String(2 ** Number(v)) },
            grid: { color: grid },
          },
          y: { min: 0, max: 1, title: { display: true, text: 'pass@k', color: text }, ticks: { color: text }, grid: { color: grid } },
        },
        plugins: {
          legend: { labels: { color: text } },
          tooltip: { callbacks: { title: (items) => `k = ${2 ** (items[0]?.parsed.x ?? 0)}`, label: (item) => `${item.dataset.label}: ${item.parsed.y?.toFixed(3)}` } },
        },
      },
    });
    this.notes.replaceChildren(
      ...crossings(summary.k, curves).map((c) => el('li', {}, `${c.leader} overtakes ${c.trailer} at k ≥ ${c.atK}`)),
    );
    if (!this.notes.childElementCount && curves.length > 1) this.notes.appendChild(el('li', { class: 'muted' }, 'No curve overtakes another.'));
  }
}
