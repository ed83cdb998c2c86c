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
}

/** One step of the debiased EMA; lets live updates continue without recomputing the series. */
export function emaStep(state: EmaState, value: number | null, weight: number): number | null {
  if (value === null || !Number.isFinite(value)) {
    return value;
  }
  state.last = state.last * weight + (1 - weight) * value;
  state.power *= weight;
  return weight === 1 ? state.last : state.last / (1 - state.power);
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
  let lo = 0;
  while (lo < n && xs[lo] < xMin) lo++;
  let hi = n;
  while (hi > lo && xs[hi - 1] > xMax) hi--;
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
  const flush = () => {
    if (first < 0) return;
    // The four indices in order, each once.
    let pushed = -1;
    for (const k of [first, Math.min(min, max), Math.max(min, max), last]) {
      if (k > pushed) {
        out.push({ x: xs[k], y: ys[k] as number });
        pushed = k;
      }
    }
  };
  for (let i = lo; i < hi; i++) {
    const b = Math.floor((xs[i] - start) * scale);
    if (b !== bucket) {
      flush();
      bucket = b;
      first = last = min = max = -1;
    }
    const y = ys[i];
    if (y === null || !Number.isFinite(y)) continue;
    if (first < 0) first = min = max = i;
    last = i;
    if (y < (ys[min] as number)) min = i;
    if (y > (ys[max] as number)) max = i;
  }
  flush();
  return out;
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
