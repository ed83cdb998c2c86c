// Token statistics of one recorded step: the entropy histogram, the share of tokens above the
// forking threshold, and which tokens act as forks (Beyond the 80/20 Rule, Wang et al. 2025).

import type { StepTokens } from '../../runs/rolloutTypes';

export interface ForkingToken {
  token: string;
  count: number;
  meanEntropy: number;
}

export interface StepStats {
  tokens: number;
  histogram: { edges: number[]; counts: number[] };
  /** The threshold used: the trainer's (mean over rows) or, when it recorded none, the step's 80th percentile. */
  threshold: number;
  thresholdSource: 'trainer' | 'p80';
  shareAboveThreshold: number;
  topForking: ForkingToken[];
}

const BINS = 24;
const TOP = 20;

export function computeStepStats(data: StepTokens): StepStats {
  const all: number[] = [];
  for (const row of data.entropies) {
    for (const e of row) {
      if (Number.isFinite(e)) all.push(e);
    }
  }
  const trainerThresholds = data.entropyThreshold.filter((t): t is number => t !== null && Number.isFinite(t));
  const p80 = quantile(all, 0.8);
  const useTrainer = trainerThresholds.length > 0;

  const max = all.length > 0 ? maxOf(all) : 1;
  const width = max > 0 ? max / BINS : 1;
  const edges = Array.from({ length: BINS + 1 }, (_, i) => i * width);
  const counts = new Array<number>(BINS).fill(0);

  const forks = new Map<string, { count: number; sum: number }>();
  let above = 0;
  data.entropies.forEach((row, r) => {
    const threshold = useTrainer ? (data.entropyThreshold[r] ?? Number.POSITIVE_INFINITY) : p80;
    const tokens = data.tokens[r] ?? [];
    row.forEach((e, i) => {
      if (!Number.isFinite(e)) return;
      counts[Math.min(BINS - 1, Math.floor(e / width))]++;
      if (e >= threshold) {
        above++;
        const token = tokens[i] ?? '';
        const f = forks.get(token) ?? { count: 0, sum: 0 };
        f.count++;
        f.sum += e;
        forks.set(token, f);
      }
    });
  });

  const topForking = [...forks.entries()]
    .map(([token, f]) => ({ token, count: f.count, meanEntropy: f.sum / f.count }))
    .sort((a, b) => b.count - a.count || b.meanEntropy - a.meanEntropy)
    .slice(0, TOP);

  return {
    tokens: all.length,
    histogram: { edges, counts },
    threshold: useTrainer ? trainerThresholds.reduce((a, b) => a + b, 0) / trainerThresholds.length : p80,
    thresholdSource: useTrainer ? 'trainer' : 'p80',
    shareAboveThreshold: all.length > 0 ? above / all.length : 0,
    topForking,
  };
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.POSITIVE_INFINITY;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Math.max(...values) overflows the argument stack on large arrays. */
function maxOf(values: number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  return max;
}
