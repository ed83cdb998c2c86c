// The summary table: per checkpoint, pass@k with a Wilson interval for pass@1, the other numbers of
// summary.json, and against the reference checkpoint the paired statistics on the same prompts:
// prompts solved only by the reference / only by this checkpoint (exact McNemar), and the pass@1
// difference with its paired bootstrap interval.

import { comparePaired, wilson, type PairedComparison } from '../../src/common/pairedStats';
import type { EvalSummary } from '../../src/webviews/compare/protocol';
import { formatNumber } from '../../src/common/format';
import { el } from '../shared/dom';
import { countsOf, type Matrix } from './matrixModel';

const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
const signedPct = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v * 100).toFixed(1)}`;

export function pairedAgainst(matrix: Matrix, reference: string): Map<string, PairedComparison> {
  const ref = countsOf(matrix, reference);
  const out = new Map<string, PairedComparison>();
  for (const name of matrix.checkpoints) if (name !== reference) out.set(name, comparePaired(ref, countsOf(matrix, name), { seed: 0 }));
  return out;
}

export function summaryTable(summary: EvalSummary, matrix: Matrix, reference: string): HTMLElement {
  const ks = summary.k;
  const paired = pairedAgainst(matrix, reference);
  const head = el(
    'tr',
    {},
    el('th', { scope: 'col' }, 'checkpoint'),
    ...ks.map((k) => el('th', { scope: 'col', class: 'num' }, `pass@${k}`)),
    el('th', { scope: 'col', class: 'num', title: 'Wilson 95% interval of pass@1, every sample counted as a trial' }, 'pass@1 95% (Wilson)'),
    el('th', { scope: 'col', class: 'num', title: `Mean over prompts of this checkpoint's pass@1 minus ${reference}'s, with a paired bootstrap 95% interval (prompts resampled, 2,000 times, seed 0)` }, `Δ pass@1 vs ${reference} [95% bootstrap]`),
    el('th', { scope: 'col', class: 'num', title: `Prompts solved (at least one correct sample) by ${reference} but not by this checkpoint: boundary shrink` }, `only ${reference}`),
    el('th', { scope: 'col', class: 'num', title: `Prompts solved by this checkpoint but not by ${reference}: boundary expansion` }, 'only this'),
    el('th', { scope: 'col', class: 'num', title: 'Exact McNemar test of the two discordant counts (two-sided)' }, 'McNemar p'),
    el('th', { scope: 'col', class: 'num' }, 'mean reward'),
    el('th', { scope: 'col', class: 'num' }, 'mean length'),
    el('th', { scope: 'col', class: 'num' }, 'mean entropy'),
    el('th', { scope: 'col', class: 'num' }, 'truncated'),
    el('th', { scope: 'col', class: 'num', title: 'Samples on which a reward function failed; they count as not solved' }, 'reward errors'),
  );
  const body = matrix.checkpoints.map((name) => {
    const s = summary.checkpoints[name];
    const counts = [...countsOf(matrix, name).values()];
    const ci = wilson(counts.reduce((t, c) => t + c.c, 0), counts.reduce((t, c) => t + c.n, 0));
    const p = paired.get(name);
    const rewards = Object.entries(s?.meanReward ?? {}).map(([fn, v]) => `${fn} ${formatNumber(v)}`).join(', ');
    const delta = p
      ? el(
          'td',
          { class: `num ${p.pass1DiffCi && p.pass1DiffCi.low > 0 ? 'gain' : p.pass1DiffCi && p.pass1DiffCi.high < 0 ? 'loss' : ''}` },
          `${signedPct(p.pass1Diff)} [${p.pass1DiffCi ? `${signedPct(p.pass1DiffCi.low)}, ${signedPct(p.pass1DiffCi.high)}` : '—'}]`,
        )
      : el('td', { class: 'num muted' }, 'reference');
    return el(
      'tr',
      { 'data-checkpoint': name, class: name === reference ? 'reference' : '' },
      el('th', { scope: 'row' }, name),
      ...ks.map((k) => el('td', { class: 'num' }, pct(s?.passAtK[String(k)]))),
      el('td', { class: 'num' }, ci ? `${pct(ci.low)} – ${pct(ci.high)}` : '—'),
      delta,
      el('td', { class: 'num' }, p ? String(p.onlyA) : '—'),
      el('td', { class: 'num' }, p ? String(p.onlyB) : '—'),
      el('td', { class: 'num' }, p ? formatNumber(p.mcnemarP, 4) : '—'),
      el('td', { class: 'num', title: rewards }, rewards || '—'),
      el('td', { class: 'num' }, formatNumber(s?.meanLength, 1)),
      el('td', { class: 'num' }, formatNumber(s?.meanEntropy)),
      el('td', { class: 'num' }, pct(s?.truncationRate)),
      el('td', { class: `num ${s?.rewardErrors ? 'loss' : ''}` }, String(s?.rewardErrors ?? 0)),
    );
  });
  return el('table', { class: 'plain summary', 'aria-label': 'Summary per checkpoint' }, el('thead', {}, head), el('tbody', {}, ...body));
}
