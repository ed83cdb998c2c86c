// pass@k by the unbiased estimator (Chen et al. 2021, "Evaluating Large Language Models Trained on
// Code"): the chance that at least one of k samples drawn without replacement from n, of which c are
// correct, is correct. Pure: shared by the extension host and the Compare Checkpoints webview.

/**
 * 1 − C(n−c, k) / C(n, k), in the numerically stable product form 1 − ∏_{i=n−c+1}^{n} (1 − k/i),
 * multiplied in ascending i as `rlstudio eval` does; 1 when n − c < k. No factorials, so n = 256
 * (or 10⁶) cannot overflow.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 1 || c < 0 || c > n || k < 1 || k > n) {
    throw new RangeError(`pass@k needs integers 0 ≤ c ≤ n and 1 ≤ k ≤ n (got n=${n}, c=${c}, k=${k})`);
  }
  if (n - c < k) return 1;
  let product = 1;
  for (let i = n - c + 1; i <= n; i++) product *= 1 - k / i;
  return 1 - product;
}

/** k = 1, 2, 4, … up to n, and n itself (as `rlstudio eval` chooses them when not told). */
export function defaultK(n: number): number[] {
  const ks: number[] = [];
  for (let k = 1; k <= n; k *= 2) ks.push(k);
  if (ks.length > 0 && ks[ks.length - 1] !== n) ks.push(n);
  return ks;
}

/** Per-prompt counts of one checkpoint: c correct of n samples. */
export interface PromptCount {
  c: number;
  n: number;
}

/**
 * pass@k of a checkpoint: the mean over prompts of the per-prompt estimator. Prompts with fewer
 * than k samples are left out (pass@k is undefined for them); null when no prompt qualifies.
 */
export function meanPassAtK(counts: readonly PromptCount[], k: number): number | null {
  let sum = 0;
  let m = 0;
  for (const { c, n } of counts) {
    if (n >= k) {
      sum += passAtK(n, c, k);
      m++;
    }
  }
  return m > 0 ? sum / m : null;
}

export interface Crossing {
  /** The checkpoint that is ahead for every k from `atK` on. */
  leader: string;
  /** The checkpoint it overtakes (ahead at the k just before). */
  trailer: string;
  atK: number;
}

/**
 * Where one pass@k curve overtakes another: the smallest k from which `a` stays strictly ahead
 * of `b` up to the largest k, when `b` was ahead or level just before it (and the other way round).
 * Curves are given at the same ks, ascending. Undefined when neither overtakes the other.
 */
export function crossing(ks: readonly number[], a: { name: string; values: readonly (number | null)[] }, b: { name: string; values: readonly (number | null)[] }): Crossing | undefined {
  const diff = ks.map((_, i) => {
    const x = a.values[i];
    const y = b.values[i];
    return x === null || y === null || x === undefined || y === undefined ? null : x - y;
  });
  const last = diff.length - 1;
  if (last < 0 || diff[last] === null) return undefined;
  const sign = Math.sign(diff[last]!);
  if (sign === 0) return undefined;
  let from = last;
  while (from > 0 && diff[from - 1] !== null && Math.sign(diff[from - 1]!) === sign) from--;
  if (from === 0 || diff[from - 1] === null) return undefined;
  const [leader, trailer] = sign > 0 ? [a.name, b.name] : [b.name, a.name];
  return { leader, trailer, atK: ks[from] };
}
