// Pure series maths for the dashboard: TensorBoard's debiased EMA, min/max decimation, and the
// grouping of metric names into charts sections.

/**
 * TensorBoard's smoothing (tensorboard/webapp/widgets/line_chart_v2/lib/data_transformer.ts):
 * an exponential moving average debiased by 1 − w^n, non-finite values passed through unchanged,
 * and a constant series left as is.
 */
export function ema(values: ArrayLike<number | null>, weight: number): (number | null)[] {
  const out: (number | null)[] = new Array(values.length);
  const first = firstFinite(values);
  const constant = first !== undefined && allEqual(values, first);
  const state: EmaState = { last: 0, power: 1 };
  for (let i = 0; i < values.length; i++) {
    out[i] = constant ? values[i] : emaStep(state, values[i], weight);
  }
  return out;
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
  state.power *= weight;
  state.same = state.same === undefined || state.same === value ? value : null;
  if (state.same !== null) return value;
  return weight === 1 ? state.last : state.last / (1 - state.power);
}

/**
 * `emaStep` over values[from..], appended to `out` (which holds the smoothed values before
 * `from`): the same arithmetic, in one loop without a call or a state write per point.
 */
export function emaExtend(state: EmaState, values: ArrayLike<number | null>, weight: number, out: (number | null)[], from = 0): void {
  let last = state.last;
  let power = state.power;
  let same = state.same;
  const debias = weight !== 1;
  for (let i = from; i < values.length; i++) {
    const value = values[i];
    if (value === null || !Number.isFinite(value)) {
      out.push(value);
      continue;
    }
    last = last * weight + (1 - weight) * value;
    power *= weight;
    same = same === undefined || same === value ? value : null;
    out.push(same !== null ? value : debias ? last / (1 - power) : last);
  }
  state.last = last;
  state.power = power;
  state.same = same;
}

function firstFinite(values: ArrayLike<number | null>): number | undefined {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && Number.isFinite(v)) return v;
  }
  return undefined;
}

function allEqual(values: ArrayLike<number | null>, value: number): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && Number.isFinite(v) && v !== value) return false;
  }
  return true;
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

  constructor(
    readonly xs: ArrayLike<number>,
    readonly ys: ArrayLike<number | null>,
    readonly buckets: number,
  ) {}

  /** Whether this decimator follows these arrays (grown in place since) at this bucket count. */
  follows(xs: ArrayLike<number>, ys: ArrayLike<number | null>, buckets: number): boolean {
    return xs === this.xs && ys === this.ys && buckets === this.buckets && xs.length >= this.consumed && ys.length >= this.consumed;
  }

  /** The decimated points of the whole series, after taking in the points added since the last call. */
  points(): Point[] {
    const { xs, ys } = this;
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
        if (y !== null && Number.isFinite(y)) out.push({ x: xs[i], y });
      }
      return out;
    }
    for (let k = 0; k < this.ids.length; k++) pushBucket(out, xs, ys, this.firsts[k], this.mins[k], this.maxs[k], this.lasts[k]);
    return out;
  }

  private extend(n: number): void {
    const { xs, ys } = this;
    if (this.consumed === 0) {
      this.start = xs[0];
      const range = xs[n - 1] - this.start;
      // `buckets` buckets over the points known now; the width doubles as the series grows.
      this.width = range > 0 && Number.isFinite(range) ? range / this.buckets : 1;
    }
    for (let i = this.consumed; i < n; i++) {
      const y = ys[i];
      if (y === null || !Number.isFinite(y)) continue;
      let b = Math.floor((xs[i] - this.start) / this.width);
      while (b >= 2 * this.buckets) {
        this.coarsen();
        b = Math.floor((xs[i] - this.start) / this.width);
      }
      const k = this.ids.length - 1;
      if (k < 0 || b > this.ids[k]) {
        this.ids.push(b);
        this.firsts.push(i);
        this.mins.push(i);
        this.maxs.push(i);
        this.lasts.push(i);
        continue;
      }
      // Same bucket as the last (or an x out of order: kept in the last bucket).
      if (y < (ys[this.mins[k]] as number)) this.mins[k] = i;
      else if (y > (ys[this.maxs[k]] as number)) this.maxs[k] = i;
      this.lasts[k] = i;
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
        if ((ys[this.mins[k]] as number) < (ys[this.mins[w]] as number)) this.mins[w] = this.mins[k];
        if ((ys[this.maxs[k]] as number) > (ys[this.maxs[w]] as number)) this.maxs[w] = this.maxs[k];
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

export const GROUPS = ['Reward', 'Policy', 'Completions', 'Optimization', 'Throughput', 'Other'] as const;
export type Group = (typeof GROUPS)[number];

/** The section a metric is charted in; unknown names land in "Other" so nothing is hidden. */
export function groupOf(name: string): Group {
  if (name === 'reward' || name === 'reward_std' || name.startsWith('rewards/') || name === 'frac_reward_zero_std') return 'Reward';
  if (name === 'entropy' || name === 'kl' || name.startsWith('clip_ratio')) return 'Policy';
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
