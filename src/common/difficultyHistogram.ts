// The distribution of estimated difficulty over steps, from selection.jsonl (docs/run-format.md): per
// generation round, how many chosen prompts had an estimate in each bin of 0.1. The host builds it
// (src/runs/selectionLog.ts) and the dashboard's Selection section draws it as a heatmap. Pure.

/** Bins of 0.1 over [0, 1]: bin i holds [i/10, (i+1)/10), the last one also 1. */
export const DIFFICULTY_BINS = 10;

export interface DifficultyHistogram {
  /** Steps with a selection line, ascending. */
  steps: number[];
  /** Per step (same order), the number of chosen prompts in each bin (DIFFICULTY_BINS numbers). */
  counts: number[][];
  /** Per step, the chosen prompts without an estimate yet (`estimate: null`): in no bin. */
  unestimated: number[];
  /** Lines that could not be read, each naming the file and line (they are left out). */
  problems: string[];
}

/** The bin of an estimated normalised reward (clamped to [0, 1]), or -1 when it is not a number. */
export function difficultyBin(estimate: number): number {
  if (!Number.isFinite(estimate)) return -1;
  return Math.min(DIFFICULTY_BINS - 1, Math.max(0, Math.floor(estimate * DIFFICULTY_BINS)));
}

/** "0.4–0.5" */
export function difficultyBinLabel(bin: number): string {
  return `${(bin / DIFFICULTY_BINS).toFixed(1)}–${((bin + 1) / DIFFICULTY_BINS).toFixed(1)}`;
}

/** Counts one step's estimates (null: no estimate yet). */
export function countEstimates(estimates: readonly (number | null)[]): { counts: number[]; unestimated: number } {
  const counts = new Array<number>(DIFFICULTY_BINS).fill(0);
  let unestimated = 0;
  for (const estimate of estimates) {
    const bin = estimate === null ? -1 : difficultyBin(estimate);
    if (bin < 0) unestimated++;
    else counts[bin]++;
  }
  return { counts, unestimated };
}

/** Hover text of a cell: "step 7 · difficulty 0.4–0.5 · 3 prompts". */
export function cellText(step: number, bin: number, count: number): string {
  return `step ${step} · difficulty ${difficultyBinLabel(bin)} · ${count} prompt${count === 1 ? '' : 's'}`;
}
