// The samples table: prompt and completion excerpts, each function's score, the weighted total
// and the recorded reward; sortable by any column, filtered by text and by outcome.

import type { LabState, TableView } from '../../src/webviews/rewardLab/protocol';
import { el } from '../shared/dom';
import { formatNumber } from '../../src/common/format';

interface Row {
  index: number;
  prompt: string;
  completion: string;
  values: Record<string, number | null>;
}

export function sampleTable(state: LabState, view: TableView, onSort: (key: string) => void): HTMLElement {
  const result = state.result;
  const functions = result?.functions ?? [];
  const failedAt = new Set(result?.failures.flatMap((f) => f.indices) ?? []);
  const lowered = new Set(result?.vsPrevious?.lowered ?? []);
  const raised = new Set(result?.vsPrevious?.raised ?? []);
  const rows: Row[] = state.samples.map((s, index) => ({
    index,
    prompt: s.prompt,
    completion: s.completion,
    values: {
      '#': index,
      ...Object.fromEntries(functions.map((name) => [name, result?.scores[name]?.[index] ?? null])),
      total: result?.total[index] ?? null,
      recorded: s.recordedTotal,
    },
  }));
  const needle = view.text.toLowerCase();
  const keep = (row: Row): boolean => {
    if (needle && !`${row.prompt}\n${row.completion}`.toLowerCase().includes(needle)) return false;
    switch (view.filter) {
      case 'failed':
        return failedAt.has(row.index);
      case 'lowered-previous':
        return lowered.has(row.index);
      case 'lowered-recorded':
        return result?.vsRecorded?.lowered.includes(row.index) ?? false;
      case 'changed-previous':
        return lowered.has(row.index) || raised.has(row.index);
      default:
        return true;
    }
  };
  const shown = rows.filter(keep).sort((a, b) => compare(a.values[view.sortKey] ?? null, b.values[view.sortKey] ?? null) * (view.descending ? -1 : 1));

  const columns = ['#', 'prompt', 'completion', ...functions, 'total', 'recorded'];
  const header = el(
    'tr',
    {},
    ...columns.map((key) => {
      const sortable = key !== 'prompt' && key !== 'completion';
      const arrow = view.sortKey === key ? (view.descending ? ' ▼' : ' ▲') : '';
      const th = el('th', { class: sortable ? 'num' : '', 'data-key': key, tabindex: sortable ? 0 : undefined, title: sortable ? 'Sort' : undefined }, key + arrow);
      if (sortable) {
        th.addEventListener('click', () => onSort(key));
        th.addEventListener('keydown', (event) => event.key === 'Enter' && onSort(key));
      }
      return th;
    }),
  );
  const body = shown.map((row) =>
    el(
      'tr',
      { class: lowered.has(row.index) ? 'lowered' : raised.has(row.index) ? 'raised' : '', 'data-index': row.index },
      el('td', { class: 'num' }, String(row.index)),
      el('td', { class: 'text prompt' }, row.prompt),
      el('td', { class: 'text completion' }, row.completion),
      ...functions.map((name) => {
        const value = row.values[name] ?? null;
        return el('td', { class: `num score${value === null && result ? ' failed' : ''}`, 'data-fn': name }, value === null && result ? 'error' : formatNumber(value));
      }),
      el('td', { class: 'num total' }, formatNumber(row.values.total)),
      el('td', { class: 'num recorded' }, formatNumber(row.values.recorded)),
    ),
  );
  return el(
    'div',
    {},
    el('div', { class: 'muted count' }, `${shown.length} of ${rows.length} samples`),
    el('table', { class: 'plain samples' }, el('thead', {}, header), el('tbody', {}, ...body)),
  );
}

function compare(a: number | null, b: number | null): number {
  if (a === null && b === null) return 0;
  if (a === null) return 1; // failures last, whatever the direction
  if (b === null) return -1;
  return a - b;
}
