// Alerts computed from a run's metrics, each with the step where it began.

/** A run's columns; a missing or non-finite value is NaN (or null). */
export interface RunSeries {
  runId: string;
  steps: ArrayLike<number>;
  /** Per metric, the rows where its value was non-finite: a missing value (null) is no alarm. */
  nonFinite: ReadonlyMap<string, readonly number[]>;
  /** Keyed by metric name (names come from the run: a Map, so `__proto__` is just a name). */
  metrics: ReadonlyMap<string, ArrayLike<number | null>>;
}

export type AlertKind = 'entropy-collapse' | 'no-signal' | 'non-finite' | 'length-limit' | 'length-explosion' | 'likelihood-drop';

export interface Alert {
  kind: AlertKind;
  runId: string;
  step: number;
  message: string;
}

export interface AlertOptions {
  /** Entropy collapse: entropy below this fraction of its early value. */
  entropyFraction: number;
  /** No learning signal: share of groups with zero reward variance above this. */
  zeroStdShare: number;
  /** Length limit: share of completions cut at max length above this. */
  clippedShare: number;
  /** Length explosion: mean length above this multiple of its early value while reward rises. */
  lengthFactor: number;
  /** DPO likelihood drop: chosen log-probability this many nats below its early value while the margin rises. */
  chosenLogpDrop: number;
}

export const DEFAULT_ALERT_OPTIONS: AlertOptions = { entropyFraction: 0.25, zeroStdShare: 0.5, clippedShare: 0.2, lengthFactor: 2, chosenLogpDrop: 1 };

const EARLY = 5;

export function computeAlerts(run: RunSeries, options: AlertOptions = DEFAULT_ALERT_OPTIONS): Alert[] {
  const alerts: Alert[] = [];
  const m = run.metrics;
  const add = (kind: AlertKind, i: number, message: string) => alerts.push({ kind, runId: run.runId, step: run.steps[i], message });

  const entropy = m.get('entropy');
  if (entropy) {
    const early = earlyMean(entropy);
    const i = firstIndex(entropy, (v, k) => k >= EARLY && early !== null && early > 0 && v < options.entropyFraction * early);
    if (i >= 0) add('entropy-collapse', i, `Entropy collapse: ${fmt(entropy[i])} is below ${options.entropyFraction} × its early value ${fmt(early)}`);
  }

  const zeroStd = m.get('frac_reward_zero_std');
  if (zeroStd) {
    const i = firstIndex(zeroStd, (v) => v > options.zeroStdShare);
    if (i >= 0) add('no-signal', i, `No learning signal: ${pct(zeroStd[i])} of groups have zero reward variance`);
  }

  for (const [name, rows] of run.nonFinite) {
    if (rows.length > 0) add('non-finite', rows[0], `Non-finite value (NaN or ±Inf) in ${name}`);
  }

  const clipped = m.get('completions/clipped_ratio');
  if (clipped) {
    const i = firstIndex(clipped, (v) => v > options.clippedShare);
    if (i >= 0) add('length-limit', i, `${pct(clipped[i])} of completions hit the length limit`);
  }

  const length = m.get('completions/mean_length');
  const reward = m.get('reward');
  if (length && reward) {
    const earlyLength = earlyMean(length);
    const earlyReward = earlyMean(reward);
    const i = firstIndex(length, (v, k) => k >= EARLY && earlyLength !== null && v > options.lengthFactor * earlyLength);
    const recentReward = recentMean(reward);
    if (i >= 0 && earlyReward !== null && recentReward !== null && recentReward > earlyReward) {
      add('length-explosion', i, `Reward rises (${fmt(earlyReward)} → ${fmt(recentReward)}) while mean completion length exceeds ${options.lengthFactor} × its early value ${fmt(earlyLength)}`);
    }
  }

  // DPO: the margin can grow while both answers lose likelihood (the chosen one more slowly) — the
  // model moves mass away from the preferred answers too. Compared over windows of EARLY steps.
  const chosen = m.get('logps/chosen');
  const margins = m.get('rewards/margins');
  if (chosen && margins) {
    const earlyChosen = earlyMean(chosen);
    const earlyMargin = earlyMean(margins);
    for (let k = EARLY; k < Math.min(chosen.length, margins.length) && earlyChosen !== null && earlyMargin !== null; k++) {
      const c = recentMean(chosen, k);
      const g = recentMean(margins, k);
      if (c !== null && g !== null && g > earlyMargin && c < earlyChosen - options.chosenLogpDrop) {
        add('likelihood-drop', k, `Chosen log-probability falls (${fmt(earlyChosen)} → ${fmt(c)}) while the margin rises (${fmt(earlyMargin)} → ${fmt(g)}): both answers lose likelihood`);
        break;
      }
    }
  }
  return alerts.sort((a, b) => a.step - b.step);
}

function present(v: number | null): v is number {
  return v !== null && Number.isFinite(v);
}

function firstIndex(values: ArrayLike<number | null>, test: (v: number, i: number) => boolean): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (present(v) && test(v, i)) return i;
  }
  return -1;
}

/** Mean of the first EARLY finite values (read from the start, not the whole column: runs are long). */
function earlyMean(values: ArrayLike<number | null>): number | null {
  const picked: number[] = [];
  for (let i = 0; i < values.length && picked.length < EARLY; i++) {
    const v = values[i];
    if (present(v)) picked.push(v);
  }
  return meanOf(picked);
}

/** Mean of the last EARLY finite values up to index `end` (default the last), in order. */
function recentMean(values: ArrayLike<number | null>, end = values.length - 1): number | null {
  const picked: number[] = [];
  for (let i = end; i >= 0 && picked.length < EARLY; i--) {
    const v = values[i];
    if (present(v)) picked.unshift(v);
  }
  return meanOf(picked);
}

function meanOf(values: number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : Number(v.toPrecision(3)).toString();
}

function pct(v: number | null): string {
  return v === null ? '—' : `${Math.round(v * 100)}%`;
}
