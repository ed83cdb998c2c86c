// Histograms per function and the correlation matrix between functions (plain DOM: bars are
// elements sized through the CSSOM, which the page's CSP allows).

import type { LabResult } from '../../src/webviews/rewardLab/protocol';
import { el } from '../shared/dom';
import { formatNumber } from '../../src/common/format';

export function histograms(result: LabResult): HTMLElement {
  return el(
    'div',
    { class: 'charts' },
    ...result.functions.map((name) => {
      const h = result.histograms[name];
      const box = el('div', { class: 'chart', 'data-fn': name }, el('div', {}, name));
      if (!h) return (box.append(el('div', { class: 'muted' }, 'no scores')), box);
      const peak = Math.max(...h.counts);
      const bars = el('div', { class: 'histogram', role: 'img', 'aria-label': `${name}: ${h.counts.join(', ')}` });
      for (const count of h.counts) {
        const bar = el('div', { class: 'bar', title: String(count) });
        bar.style.height = `${(100 * count) / peak}%`;
        bars.append(bar);
      }
      box.append(bars, el('div', { class: 'histogram-axis' }, el('span', {}, formatNumber(h.min)), el('span', {}, formatNumber(h.max))));
      return box;
    }),
  );
}

export function correlationTable(result: LabResult): HTMLElement | null {
  if (result.functions.length < 2) return null;
  return el(
    'table',
    { class: 'plain correlations' },
    el('tr', {}, el('th', {}, ''), ...result.functions.map((name) => el('th', { class: 'num' }, name))),
    ...result.functions.map((row, i) =>
      el('tr', {}, el('th', {}, row), ...result.functions.map((_, j) => el('td', { class: 'num' }, formatNumber(result.correlations[i]?.[j] ?? null, 2)))),
    ),
  );
}
