// The per-prompt matrix's rows: counts per checkpoint, the filters (regressed, improved, boundary
// shrink and expansion, never solved), search and sort. Pure (no DOM), so it is tested in Node.

import type { PromptCount } from '../../src/common/passAtK';
import type { EvalView, MatrixFilter } from '../../src/webviews/compare/protocol';

export interface MatrixRow {
  promptId: number;
  preview: string;
  /** Lower-cased preview and answer, for search. */
  haystack: string;
  /** Per checkpoint (in `checkpoints` order): counts, or null when not evaluated for this prompt. */
  counts: (PromptCount | null)[];
}

export interface Matrix {
  checkpoints: string[];
  rows: MatrixRow[];
}

/** Checkpoints with results in the summary, in the manifest's order. */
export function evaluatedCheckpoints(view: EvalView): string[] {
  const done = new Set(Object.keys(view.summary?.checkpoints ?? {}));
  return view.manifest.checkpoints.map((c) => c.name).filter((name) => done.has(name));
}

export function buildMatrix(view: EvalView): Matrix {
  const checkpoints = evaluatedCheckpoints(view);
  const previews = new Map(view.prompts.map((p) => [p.promptId, p]));
  const rows = (view.summary?.prompts ?? []).map((p): MatrixRow => {
    const prompt = previews.get(p.promptId);
    const preview = prompt?.preview ?? `prompt ${p.promptId}`;
    return {
      promptId: p.promptId,
      preview,
      haystack: `${preview}\n${prompt?.answer ?? ''}`.toLowerCase(),
      counts: checkpoints.map((name) => (p.n[name] ? { c: p.correct[name] ?? 0, n: p.n[name] } : null)),
    };
  });
  return { checkpoints, rows };
}

/** Per-prompt counts of one checkpoint, keyed by prompt id (for the paired statistics). */
export function countsOf(matrix: Matrix, checkpoint: string): Map<number, PromptCount> {
  const j = matrix.checkpoints.indexOf(checkpoint);
  const out = new Map<number, PromptCount>();
  if (j < 0) return out;
  for (const row of matrix.rows) {
    const count = row.counts[j];
    if (count) out.set(row.promptId, count);
  }
  return out;
}

const rate = (count: PromptCount | null | undefined): number | null => (count && count.n > 0 ? count.c / count.n : null);

/** Whether a row passes a filter, `ref` and `target` being column indices. */
export function matches(row: MatrixRow, filter: MatrixFilter, ref: number, target: number): boolean {
  if (filter === 'all') return true;
  if (filter === 'never') return row.counts.every((c) => !c || c.c === 0);
  const a = row.counts[ref];
  const b = row.counts[target];
  if (!a || !b) return false;
  switch (filter) {
    case 'regressed':
      return rate(b)! < rate(a)!;
    case 'improved':
      return rate(b)! > rate(a)!;
    case 'shrink':
      return a.c > 0 && b.c === 0;
    case 'expansion':
      return a.c === 0 && b.c > 0;
  }
}

export interface RowQuery {
  filter: MatrixFilter;
  search: string;
  /** 'prompt', 'text', 'delta', or a checkpoint name. */
  sort: { column: string; descending: boolean };
  reference: string;
  target: string;
}

/** The rows to show, filtered and sorted (stable: ties keep prompt order). */
export function queryRows(matrix: Matrix, query: RowQuery): MatrixRow[] {
  const ref = matrix.checkpoints.indexOf(query.reference);
  const target = matrix.checkpoints.indexOf(query.target);
  const needle = query.search.trim().toLowerCase();
  const rows = matrix.rows.filter(
    (row) => (needle === '' || row.haystack.includes(needle) || String(row.promptId) === needle) && matches(row, query.filter, ref, target),
  );
  const key = sortKey(matrix, query.sort.column, ref, target);
  const sign = query.sort.descending ? -1 : 1;
  return rows
    .map((row, i) => ({ row, i, k: key(row) }))
    .sort((x, y) => {
      if (x.k === y.k) return x.i - y.i;
      if (x.k === null) return 1; // missing values last either way
      if (y.k === null) return -1;
      return (x.k < y.k ? -1 : 1) * sign;
    })
    .map((x) => x.row);
}

function sortKey(matrix: Matrix, column: string, ref: number, target: number): (row: MatrixRow) => number | string | null {
  if (column === 'text') return (row) => row.preview.toLowerCase();
  if (column === 'delta') {
    return (row) => {
      const a = rate(row.counts[ref]);
      const b = rate(row.counts[target]);
      return a === null || b === null ? null : b - a;
    };
  }
  const j = matrix.checkpoints.indexOf(column);
  if (j >= 0) return (row) => rate(row.counts[j]);
  return (row) => row.promptId;
}

/** Heat bin 0…5 of a cell's c/n (0: none correct; 5: all). */
export function heatBin(count: PromptCount): number {
  if (count.n === 0) return 0;
  if (count.c === 0) return 0;
  if (count.c === count.n) return 5;
  return 1 + Math.min(3, Math.floor((count.c / count.n) * 4));
}
