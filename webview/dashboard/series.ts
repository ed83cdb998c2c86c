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
  const state = { last: 0, count: 0 };
  for (let i = 0; i < values.length; i++) {
    out[i] = constant ? values[i] : emaStep(state, values[i], weight);
  }
  return out;
}

export interface EmaState {
  last: number;
  count: number;
}

/** One step of the debiased EMA; lets live updates continue without recomputing the series. */
export function emaStep(state: EmaState, value: number | null, weight: number): number | null {
  if (value === null || !Number.isFinite(value)) {
    return value;
  }
  state.last = state.last * weight + (1 - weight) * value;
  state.count++;
  const debias = weight === 1 ? 1 : 1 - Math.pow(weight, state.count);
  return state.last / debias;
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
  const finite = (i: number) => ys[i] !== null && Number.isFinite(ys[i] as number);
  if (hi - lo <= buckets * 4) {
    for (let i = lo; i < hi; i++) if (finite(i)) out.push({ x: xs[i], y: ys[i] as number });
    return out;
  }
  const start = xs[lo];
  const width = (xs[hi - 1] - start) / buckets || 1;
  let i = lo;
  while (i < hi) {
    const bucket = Math.floor((xs[i] - start) / width);
    let first = -1;
    let last = -1;
    let min = -1;
    let max = -1;
    while (i < hi && Math.floor((xs[i] - start) / width) === bucket) {
      if (finite(i)) {
        if (first < 0) first = i;
        last = i;
        if (min < 0 || (ys[i] as number) < (ys[min] as number)) min = i;
        if (max < 0 || (ys[i] as number) > (ys[max] as number)) max = i;
      }
      i++;
    }
    if (first < 0) continue;
    // The four indices in order, each once.
    let pushed = -1;
    for (const k of [first, Math.min(min, max), Math.max(min, max), last]) {
      if (k > pushed) {
        out.push({ x: xs[k], y: ys[k] as number });
        pushed = k;
      }
    }
  }
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
