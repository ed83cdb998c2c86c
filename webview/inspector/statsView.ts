// Step statistics: entropy histogram, share of tokens above the forking threshold, and the tokens
// that most often act as forks, with their mean entropy.

import type { StepStats } from '../../src/webviews/inspector/protocol';
import { clear, el } from '../shared/dom';
import { formatNumber } from '../../src/common/format';
import { visibleSegments } from '../../src/common/tokenUnits';

export class StatsView {
  readonly element = el('div', { class: 'stats-view' });

  show(step: number, stats: StepStats): void {
    clear(this.element);
    const source = stats.thresholdSource === 'trainer' ? 'the trainer’s forking threshold' : 'the step’s 80th percentile (no forking mask recorded)';
    this.element.appendChild(
      el(
        'p',
        { class: 'stats-summary' },
        `Step ${step}: ${stats.tokens} tokens. `,
        el('strong', { class: 'share' }, `${(stats.shareAboveThreshold * 100).toFixed(1)}%`),
        ` of tokens have entropy ≥ ${formatNumber(stats.threshold, 4)} (${source}).`,
      ),
    );

    const max = Math.max(1, ...stats.histogram.counts);
    const histogram = el('div', { class: 'histogram', role: 'img', 'aria-label': 'Histogram of token entropies' });
    stats.histogram.counts.forEach((count, i) => {
      const lo = stats.histogram.edges[i];
      const hi = stats.histogram.edges[i + 1];
      const bar = el('div', { class: 'bar', title: `${formatNumber(lo, 3)} – ${formatNumber(hi, 3)}: ${count}`, 'data-count': count });
      bar.style.height = `${(100 * count) / max}%`;
      if (lo >= stats.threshold) bar.classList.add('above');
      histogram.appendChild(bar);
    });
    const axis = el(
      'div',
      { class: 'histogram-axis muted' },
      el('span', {}, '0'),
      el('span', {}, `entropy (nats) → ${formatNumber(stats.histogram.edges.at(-1), 2)}`),
    );
    this.element.append(el('h3', {}, 'Token entropy'), histogram, axis);

    const table = el('table', { class: 'plain forking' });
    table.appendChild(el('tr', {}, el('th', {}, 'forking token'), el('th', { class: 'num' }, 'count'), el('th', { class: 'num' }, 'mean entropy')));
    for (const f of stats.topForking) {
      const text = shortened(
        visibleSegments(f.token, true)
          .map((s) => s.text)
          .join(''),
      );
      table.appendChild(
        el('tr', {}, el('td', { class: 'tok-text' }, text), el('td', { class: 'num' }, String(f.count)), el('td', { class: 'num' }, formatNumber(f.meanEntropy, 3))),
      );
    }
    this.element.append(el('h3', {}, 'Most frequent forking tokens'), table);
  }

  clear(message: string): void {
    clear(this.element);
    this.element.appendChild(el('p', { class: 'muted' }, message));
  }
}

/** A token's text in a table cell: at most TOKEN_CHARS characters (a model can emit a 1 MB token). */
const TOKEN_CHARS = 80;

function shortened(text: string): string {
  const chars = [...text.slice(0, TOKEN_CHARS * 2)];
  return chars.length > TOKEN_CHARS ? `${chars.slice(0, TOKEN_CHARS).join('')}… (${text.length.toLocaleString('en-US')} characters)` : text;
}
