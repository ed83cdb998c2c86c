// The numbers the Reward Lab shows, computed on the host from one run of the reward functions:
// histograms, correlations between functions, and differences against the previous run and the
// rewards recorded during training. Pure functions; nulls (failed or missing scores) are skipped.

export interface Histogram {
  min: number;
  max: number;
  counts: number[];
}

export function histogram(values: readonly (number | null)[], bins = 10): Histogram | null {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (finite.length === 0) return null;
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const counts = new Array<number>(min === max ? 1 : bins).fill(0);
  for (const v of finite) {
    const i = min === max ? 0 : Math.min(bins - 1, Math.floor(((v - min) / (max - min)) * bins));
    counts[i]!++;
  }
  return { min, max, counts };
}

/** Pearson correlation over the samples where both have a score; null when undefined (constant or < 2 pairs). */
export function correlation(a: readonly (number | null)[], b: readonly (number | null)[]): number | null {
  const pairs: [number, number][] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== null && x !== undefined && y !== null && y !== undefined) pairs.push([x, y]);
  }
  if (pairs.length < 2) return null;
  const mx = pairs.reduce((s, [x]) => s + x, 0) / pairs.length;
  const my = pairs.reduce((s, [, y]) => s + y, 0) / pairs.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of pairs) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

export interface ScoreDiff {
  /** Samples compared (both sides have a score). */
  compared: number;
  lowered: number[];
  raised: number[];
  /** Had a score before and none now (new failures), or the reverse. */
  nowFailing: number[];
  nowScoring: number[];
}

export function diffScores(before: readonly (number | null)[], after: readonly (number | null)[], tolerance = 1e-6): ScoreDiff {
  const diff: ScoreDiff = { compared: 0, lowered: [], raised: [], nowFailing: [], nowScoring: [] };
  for (let i = 0; i < Math.min(before.length, after.length); i++) {
    const b = before[i] ?? null;
    const a = after[i] ?? null;
    if (b === null && a === null) continue;
    if (b === null) diff.nowScoring.push(i);
    else if (a === null) diff.nowFailing.push(i);
    else {
      diff.compared++;
      if (a < b - tolerance) diff.lowered.push(i);
      else if (a > b + tolerance) diff.raised.push(i);
    }
  }
  return diff;
}

/** "your change lowers 37 of 256 rollouts" — the one-line summary of a diff. */
export function describeDiff(diff: ScoreDiff, against: string): string {
  const total = diff.compared + diff.nowFailing.length + diff.nowScoring.length;
  const parts: string[] = [];
  if (diff.lowered.length > 0) parts.push(`lowers ${diff.lowered.length} of ${total}`);
  if (diff.raised.length > 0) parts.push(`raises ${diff.raised.length} of ${total}`);
  if (diff.nowFailing.length > 0) parts.push(`newly fails on ${diff.nowFailing.length}`);
  if (diff.nowScoring.length > 0) parts.push(`now scores ${diff.nowScoring.length} that failed`);
  return parts.length > 0 ? `Against ${against}: ${parts.join(', ')}.` : `Against ${against}: no change on ${total} rollouts.`;
}

export interface TracebackFrame {
  file: string;
  /** 1-based. */
  line: number;
  function: string;
}

/** The `File "…", line N, in f` frames of a Python traceback, outermost first. */
export function tracebackFrames(traceback: string): TracebackFrame[] {
  const frames: TracebackFrame[] = [];
  for (const match of traceback.matchAll(/^\s*File "([^"]+)", line (\d+)(?:, in (.+))?$/gm)) {
    frames.push({ file: match[1]!, line: Number(match[2]), function: match[3]?.trim() ?? '' });
  }
  return frames;
}
