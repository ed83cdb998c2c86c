// Pure series maths for the dashboard: TensorBoard's debiased EMA, min/max decimation, and the
// grouping of metric names into charts sections. Missing and non-finite values are NaN (the host
// sends Float64Array columns; see src/webviews/dashboard/protocol.ts).

import { Column } from './column';

/**
 * TensorBoard's smoothing (tensorboard/webapp/widgets/line_chart_v2/lib/data_transformer.ts):
 * an exponential moving average debiased by 1 − w^n, non-finite values passed through unchanged
 * (missing ones as NaN), and a constant series left as is.
 */
export function ema(values: ArrayLike<number | null>, weight: number): Float64Array {
  const out = new Column();
  emaExtend({ last: 0, power: 1 }, values, weight, out);
  return out.values;
}

export interface EmaState {
  last: number;
  /** weight^n after n finite values: the debiasing term is 1 − power. */
  power: number;
  /**
   * The value every finite value so far has equalled (undefined before the first, null once two
   * differ): a series constant so far is drawn as is, as TensorBoard draws a constant series, instead
   * of with the debiasing's rounding noise (0.1 → 0.10000000000000002).
   */
  same?: number | null;
}

/** One step of the debiased EMA; lets live updates continue without recomputing the series. */
export function emaStep(state: EmaState, value: number | null, weight: number): number | null {
  if (value === null || !Number.isFinite(value)) {
    return value;
  }
  state.last = state.last * weight + (1 - weight) * value;
  state.power = decay(state.power, weight);
  state.same = state.same === undefined || state.same === value ? value : null;
  if (state.same !== null) return value;
  return weight === 1 ? state.last : state.last / (1 - state.power);
}

/**
 * weight^n, one factor more; 0 once 1 − power is exactly 1 in doubles (power < 2^-54), so results are
 * unchanged. Without it power sinks to the smallest subnormal and stays there (0.6 × 5e-324 rounds back
 * to 5e-324), and arithmetic on subnormals made the EMA of 100k points about ten times slower.
 */
function decay(power: number, weight: number): number {
  const next = power * weight;
  return next < 2 ** -60 ? 0 : next;
}

/**
 * `emaStep` over values[from..], appended to `out` (which holds the smoothed values before
 * `from`): the same arithmetic, in one loop without a call or a state write per point.
 */
export function emaExtend(state: EmaState, values: ArrayLike<number | null>, weight: number, out: Column, from = 0): void {
  if (values.length <= from) return;
  const { data, start } = out.extend(values.length - from);
  let last = state.last;
  let power = state.power;
  let same = state.same;
  const debias = weight !== 1;
  for (let i = from, j = start; i < values.length; i++, j++) {
    const value = values[i];
    if (value === null || !Number.isFinite(value)) {
      data[j] = value ?? NaN;
      continue;
    }
    last = last * weight + (1 - weight) * value;
    power = decay(power, weight);
    same = same === undefined || same === value ? value : null;
    data[j] = same !== null ? value : debias ? last / (1 - power) : last;
  }
  state.last = last;
  state.power = power;
  state.same = same;
}

export interface Point {
  x: number;
  y: number;
}

/**
 * Keeps the first, minimum, maximum and last point of each of `buckets` equal-width x ranges
 * within [xMin, xMax], so peaks survive; points outside the range are dropped except one on each
 * side (lines run off the edge of a zoomed chart). Input sorted by x.
 */
export function decimate(xs: ArrayLike<number>, ys: ArrayLike<number | null>, buckets: number, xMin = -Infinity, xMax = Infinity): Point[] {
  const n = xs.length;
  // Sorted input: binary searches for the first x ≥ xMin and the last x ≤ xMax.
  let lo = lowerBound(xs, xMin, 0, n);
  let hi = n;
  if (xMax < Infinity) {
    let a = lo;
    while (a < hi) {
      const mid = (a + hi) >> 1;
      if (xs[mid] > xMax) hi = mid;
      else a = mid + 1;
    }
  }
  lo = Math.max(0, lo - 1);
  hi = Math.min(n, hi + 1);
  const out: Point[] = [];
  if (hi - lo <= buckets * 4) {
    for (let i = lo; i < hi; i++) {
      const y = ys[i];
      if (y !== null && Number.isFinite(y)) out.push({ x: xs[i], y });
    }
    return out;
  }
  const start = xs[lo];
  const scale = buckets / (xs[hi - 1] - start || 1);
  let bucket = -1;
  let first = -1;
  let last = -1;
  let min = -1;
  let max = -1;
  let minY = 0;
  let maxY = 0;
  for (let i = lo; i < hi; i++) {
    const b = Math.floor((xs[i] - start) * scale);
    if (b !== bucket) {
      if (first >= 0) pushBucket(out, xs, ys, first, min, max, last);
      bucket = b;
      first = last = min = max = -1;
    }
    const y = ys[i];
    if (y === null || !Number.isFinite(y)) continue;
    if (first < 0) {
      first = min = max = i;
      minY = maxY = y;
    } else if (y < minY) {
      min = i;
      minY = y;
    } else if (y > maxY) {
      max = i;
      maxY = y;
    }
    last = i;
  }
  if (first >= 0) pushBucket(out, xs, ys, first, min, max, last);
  return out;
}

/** A bucket's first, minimum, maximum and last point, in x order, each once. */
function pushBucket(out: Point[], xs: ArrayLike<number>, ys: ArrayLike<number | null>, first: number, min: number, max: number, last: number): void {
  const a = min < max ? min : max;
  const b = min < max ? max : min;
  out.push({ x: xs[first], y: ys[first] as number });
  if (a > first) out.push({ x: xs[a], y: ys[a] as number });
  if (b > a && b > first) out.push({ x: xs[b], y: ys[b] as number });
  if (last > b && last > first) out.push({ x: xs[last], y: ys[last] as number });
}

function lowerBound(xs: ArrayLike<number>, x: number, lo: number, hi: number): number {
  if (x === -Infinity) return lo;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The same min/max decimation over a whole series that only grows (live runs), kept up to date in
 * time proportional to the new points: buckets have a fixed width from the series' start, doubled
 * (merging neighbours pairwise, which keeps each merged bucket's first/min/max/last exact) whenever
 * the series outgrows 2 × `buckets` of them. Holds between `buckets` and 2 × `buckets` buckets (never
 * coarser than `decimate`); a series of at most 4 × buckets points is drawn as is, like `decimate`.
 * Input sorted by x.
 */
export class Decimator {
  /** Points of the series consumed so far. */
  private consumed = 0;
  private start = 0;
  private width = 0;
  // Per non-empty bucket: its number and the indices of its first, min, max and last point.
  private ids: number[] = [];
  private firsts: number[] = [];
  private mins: number[] = [];
  private maxs: number[] = [];
  private lasts: number[] = [];
  // The columns' current views, read once per points() call.
  private xs: Float64Array = new Float64Array(0);
  private ys: Float64Array = new Float64Array(0);

  constructor(
    readonly xColumn: Column,
    readonly yColumn: Column,
    readonly buckets: number,
  ) {}

  /** Whether this decimator follows these columns (grown since) at this bucket count. */
  follows(xs: Column, ys: Column, buckets: number): boolean {
    return xs === this.xColumn && ys === this.yColumn && buckets === this.buckets && xs.length >= this.consumed && ys.length >= this.consumed;
  }

  /** The decimated points of the whole series, after taking in the points added since the last call. */
  points(): Point[] {
    const xs = (this.xs = this.xColumn.values);
    const ys = (this.ys = this.yColumn.values);
    const n = Math.min(xs.length, ys.length);
    if (n > this.consumed) {
      this.extend(n);
      // Buckets sized before the series had a range (one point, or equal xs) may be far too wide
      // for it now: sized again from the whole series, once.
      const range = xs[n - 1] - this.start;
      if (range > 0 && range / this.width < this.buckets / 2) {
        this.consumed = 0;
        this.ids.length = this.firsts.length = this.mins.length = this.maxs.length = this.lasts.length = 0;
        this.extend(n);
      }
    }
    const out: Point[] = [];
    if (n <= this.buckets * 4) {
      for (let i = 0; i < n; i++) {
        const y = ys[i];
        if (Number.isFinite(y)) out.push({ x: xs[i], y });
      }
      return out;
    }
    for (let k = 0; k < this.ids.length; k++) pushBucket(out, xs, ys, this.firsts[k], this.mins[k], this.maxs[k], this.lasts[k]);
    return out;
  }

  private extend(n: number): void {
    const { xs, ys, ids, firsts, mins, maxs, lasts } = this;
    if (this.consumed === 0) {
      this.start = xs[0];
      const range = xs[n - 1] - this.start;
      // `buckets` buckets over the points known now; the width doubles as the series grows.
      this.width = range > 0 && Number.isFinite(range) ? range / this.buckets : 1;
    }
    // The last bucket, held in locals: most points fall into it, and are placed by one comparison
    // with its end instead of a division (coarsen() rewrites the arrays in place).
    let k = ids.length - 1;
    let minY = k >= 0 ? ys[mins[k]] : 0;
    let maxY = k >= 0 ? ys[maxs[k]] : 0;
    let end = k >= 0 ? this.start + (ids[k] + 1) * this.width : -Infinity;
    for (let i = this.consumed; i < n; i++) {
      const y = ys[i];
      if (!Number.isFinite(y)) continue;
      const x = xs[i];
      if (x >= end) {
        let b = Math.floor((x - this.start) / this.width);
        while (b >= 2 * this.buckets) {
          this.coarsen();
          b = Math.floor((x - this.start) / this.width);
        }
        k = ids.length - 1;
        end = this.start + (Math.max(b, k >= 0 ? ids[k] : b) + 1) * this.width;
        if (k < 0 || b > ids[k]) {
          ids.push(b);
          firsts.push(i);
          mins.push(i);
          maxs.push(i);
          lasts.push(i);
          k++;
          minY = maxY = y;
          continue;
        }
        // Rounding put x in the last bucket after all, or coarsening merged it into that bucket.
        minY = ys[mins[k]];
        maxY = ys[maxs[k]];
      }
      // Same bucket as the last (or an x out of order: kept in the last bucket).
      if (y < minY) {
        mins[k] = i;
        minY = y;
      } else if (y > maxY) {
        maxs[k] = i;
        maxY = y;
      }
      lasts[k] = i;
    }
    this.consumed = n;
  }

  /** Doubles the bucket width, merging buckets 2j and 2j+1. */
  private coarsen(): void {
    const { ys } = this;
    this.width *= 2;
    let w = -1;
    for (let k = 0; k < this.ids.length; k++) {
      const id = Math.floor(this.ids[k] / 2);
      if (w >= 0 && this.ids[w] === id) {
        if (ys[this.mins[k]] < ys[this.mins[w]]) this.mins[w] = this.mins[k];
        if (ys[this.maxs[k]] > ys[this.maxs[w]]) this.maxs[w] = this.maxs[k];
        this.lasts[w] = this.lasts[k];
      } else {
        w++;
        this.ids[w] = id;
        this.firsts[w] = this.firsts[k];
        this.mins[w] = this.mins[k];
        this.maxs[w] = this.maxs[k];
        this.lasts[w] = this.lasts[k];
      }
    }
    const length = w + 1;
    this.ids.length = this.firsts.length = this.mins.length = this.maxs.length = this.lasts.length = length;
  }
}

/**
 * Buckets for a plot this many CSS pixels wide: one per 2 pixels (its first, min, max and last point),
 * at least 200. Every peak and trough is still drawn; one bucket per pixel drew twice the points for
 * the same picture, and its rasterising was a third of a 20-chart dashboard's first frame.
 */
export function bucketsFor(width: number): number {
  return Math.max(200, Math.round((width || 600) / 2));
}

/** Index of the x closest to `x` (xs sorted ascending), or -1 when empty. */
export function nearestIndex(xs: ArrayLike<number>, x: number): number {
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && Math.abs(xs[lo - 1] - x) <= Math.abs(xs[lo] - x) ? lo - 1 : lo;
}

// --- grouping ---------------------------------------------------------------------------------

export const GROUPS = ['Reward', 'Preference', 'Policy', 'Selection', 'Completions', 'Optimization', 'Throughput', 'Other'] as const;
export type Group = (typeof GROUPS)[number];

/** TRL's DPO metrics: implicit rewards of the chosen and rejected answers, their margin and accuracy. */
const PREFERENCE = new Set(['rewards/chosen', 'rewards/rejected', 'rewards/margins', 'rewards/accuracies']);

/** The section a metric is charted in; unknown names land in "Other" so nothing is hidden. */
export function groupOf(name: string): Group {
  if (PREFERENCE.has(name) || name.startsWith('logps/') || name.startsWith('logits/')) return 'Preference';
  if (name === 'reward' || name === 'reward_std' || name.startsWith('rewards/') || name === 'frac_reward_zero_std') return 'Reward';
  if (name === 'entropy' || name === 'kl' || name.startsWith('clip_ratio')) return 'Policy';
  if (name.startsWith('selection/')) return 'Selection'; // difficulty-targeted prompt selection (docs/data-efficiency.md)
  if (name.startsWith('completions/')) return 'Completions';
  if (name === 'loss' || name === 'grad_norm' || name === 'learning_rate') return 'Optimization';
  if (name === 'rlstudio/step_time_s' || name === 'rlstudio/tokens_per_s' || name === 'num_tokens' || name === 'step_time') return 'Throughput';
  return 'Other';
}

/** Metrics drawn as a band around another chart instead of a chart of their own. */
export function bandOf(name: string): string | undefined {
  if (name === 'reward_std') return 'reward';
  const match = /^rewards\/(.+)\/std$/.exec(name);
  return match ? `rewards/${match[1]}/mean` : undefined;
}
