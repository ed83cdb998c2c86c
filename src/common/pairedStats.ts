// Paired statistics for two checkpoints evaluated on the same prompts, so a gain can be told from
// noise: discordant prompts with an exact McNemar test, a Wilson interval for pass@1, and a seeded
// paired bootstrap interval of the pass@1 difference. Pure: shared by host and webview.

import type { PromptCount } from './passAtK';

export interface Interval {
  low: number;
  high: number;
}

/** Wilson score interval of a binomial proportion (z = 1.96: 95 %). */
export function wilson(successes: number, trials: number, z = 1.959963984540054): Interval | null {
  if (trials <= 0) return null;
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Exact two-sided McNemar test on the discordant counts: under "no difference" each discordant
 * prompt is solved only by A or only by B with probability ½, so p = min(1, 2 · P(X ≤ min(b, c)))
 * for X ~ Binomial(b + c, ½). Summed in log space: no underflow for thousands of prompts.
 */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const m = Math.min(b, c);
  const log2 = Math.log(2);
  let logC = 0; // log C(n, 0)
  let logTail = -Infinity;
  for (let i = 0; i <= m; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    logTail = logAdd(logTail, logC - n * log2);
  }
  return Math.min(1, 2 * Math.exp(logTail));
}

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  const hi = Math.max(a, b);
  return hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi));
}

/** Deterministic PRNG (mulberry32) for seeded resampling. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Percentile interval of the mean of `diffs` over `resamples` bootstrap resamples of the prompts
 * (with replacement), seeded: the same inputs give the same interval.
 */
export function pairedBootstrap(diffs: readonly number[], options: { resamples?: number; seed?: number; level?: number } = {}): Interval | null {
  const m = diffs.length;
  if (m === 0) return null;
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const random = mulberry32(options.seed ?? 0);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < m; i++) sum += diffs[Math.floor(random() * m)];
    means[r] = sum / m;
  }
  means.sort();
  const tail = (1 - level) / 2;
  const at = (q: number) => means[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))];
  return { low: at(tail), high: at(1 - tail) };
}

export interface PairedComparison {
  /** Prompts both checkpoints have samples for. */
  prompts: number;
  /** Solved (c ≥ 1) by A and not by B: with A the reference, B lost them (boundary shrink). */
  onlyA: number;
  /** Solved by B and not by A: B gained them (boundary expansion). */
  onlyB: number;
  both: number;
  neither: number;
  /** Exact McNemar p-value of onlyA vs onlyB. */
  mcnemarP: number;
  /** Mean over prompts of B's per-prompt pass@1 (c/n) minus A's. */
  pass1Diff: number;
  /** Paired bootstrap 95 % interval of pass1Diff (prompts resampled). */
  pass1DiffCi: Interval | null;
}

/** Compares B against A on the prompts both have counts for (keys are prompt ids). */
export function comparePaired(a: ReadonlyMap<number, PromptCount>, b: ReadonlyMap<number, PromptCount>, options: { resamples?: number; seed?: number } = {}): PairedComparison {
  let onlyA = 0;
  let onlyB = 0;
  let both = 0;
  let neither = 0;
  const diffs: number[] = [];
  for (const [id, ca] of a) {
    const cb = b.get(id);
    if (!cb || ca.n === 0 || cb.n === 0) continue;
    const sa = ca.c >= 1;
    const sb = cb.c >= 1;
    if (sa && sb) both++;
    else if (sa) onlyA++;
    else if (sb) onlyB++;
    else neither++;
    diffs.push(cb.c / cb.n - ca.c / ca.n);
  }
  const pass1Diff = diffs.length ? diffs.reduce((s, d) => s + d, 0) / diffs.length : 0;
  return {
    prompts: diffs.length,
    onlyA,
    onlyB,
    both,
    neither,
    mcnemarP: mcnemarExact(onlyA, onlyB),
    pass1Diff,
    pass1DiffCi: pairedBootstrap(diffs, options),
  };
}
