// Turns one `rewards/run` answer into what the Reward Lab shows (LabResult). Pure.

import type { ErrorTriple, RewardsRunResult } from '../worker/protocol';
import type { Histogram, TracebackFrame } from './labStats';
import { correlation, describeDiff, diffScores, histogram, tracebackFrames } from './labStats';

/**
 * One function's failures, however many samples: every sample it failed on, its first error with the
 * frames of the user's code (the trainer's own wrapper frames left out; the function's definition
 * when the error was raised by the wrapper, as for a wrong-length or NaN result), and the others.
 */
export interface LabFailure {
  function: string;
  indices: number[];
  error: ErrorTriple;
  frames: TracebackFrame[];
  /** The function's other errors (each on some samples), for the expandable list. */
  others: { indices: number[]; error: ErrorTriple }[];
}

export interface LabDiff {
  summary: string;
  lowered: number[];
  raised: number[];
  nowFailing: number[];
}

export interface LabResult {
  functions: string[];
  scores: Record<string, (number | null)[]>;
  total: (number | null)[];
  failures: LabFailure[];
  histograms: Record<string, Histogram | null>;
  /** correlations[i][j] between functions[i] and functions[j]. */
  correlations: (number | null)[][];
  vsPrevious: LabDiff | null;
  vsRecorded: LabDiff | null;
  reason: 'manual' | 'save';
  ranAt: string;
}

export interface RecordedRewards {
  total: (number | null)[];
  /** Per function name, as recorded in the rollouts' `rewards` column. */
  byFunction: Record<string, (number | null)[]>;
}

/**
 * `definitions`: where each function (by name) is defined, for failures whose traceback holds no
 * frame of the user's code.
 */
export function buildResult(
  run: RewardsRunResult,
  previous: LabResult | null,
  recorded: RecordedRewards | null,
  reason: LabResult['reason'],
  definitions: ReadonlyMap<string, TracebackFrame> = new Map(),
): LabResult {
  const functions = run.functions.map((f) => f.name);
  const scores = Object.fromEntries(run.functions.map((f) => [f.name, f.scores]));
  const failures: LabFailure[] = run.functions.flatMap((f) => {
    const [first, ...others] = f.errors;
    if (!first) return [];
    const indices = [...new Set(f.errors.flatMap((e) => e.indices))].sort((a, b) => a - b);
    const frames = userFrames(tracebackFrames(first.error.traceback));
    const definition = definitions.get(f.name);
    return [{ function: f.name, indices, error: first.error, frames: frames.length > 0 || !definition ? frames : [definition], others }];
  });
  return {
    functions,
    scores,
    total: run.total,
    failures,
    histograms: Object.fromEntries(run.functions.map((f) => [f.name, histogram(f.scores)])),
    correlations: functions.map((a) => functions.map((b) => correlation(scores[a]!, scores[b]!))),
    vsPrevious: previous && sameFunctions(previous, functions) ? labDiff(previous.total, run.total, 'the previous run') : null,
    vsRecorded: recorded ? labDiff(recorded.total, run.total, 'the rewards recorded during training') : null,
    reason,
    ranAt: new Date().toISOString(),
  };
}

/** The trainer's own frames (its reward wrapper in rlstudio/rewards.py, the worker) are not the user's. */
const TRAINER_FRAME = /[\\/]rlstudio[\\/](?:rewards\.py|worker[\\/])/;

function userFrames(frames: TracebackFrame[]): TracebackFrame[] {
  return frames.filter((frame) => !TRAINER_FRAME.test(frame.file));
}

function sameFunctions(previous: LabResult, functions: string[]): boolean {
  return previous.functions.length === functions.length && previous.functions.every((name, i) => name === functions[i]);
}

function labDiff(before: (number | null)[], after: (number | null)[], against: string): LabDiff {
  const diff = diffScores(before, after);
  return { summary: describeDiff(diff, against), lowered: diff.lowered, raised: diff.raised, nowFailing: diff.nowFailing };
}

/**
 * The scores of `functions` (in that order, with their weights): the fresh run's for the functions it
 * ran, the last run's for the others; undefined when the last run lacks one of those others (then
 * every function must run). The total is recomputed as the worker computes it: Σ weight × score,
 * nulls skipped, null where every score is null.
 */
export function mergeRuns(
  last: RewardsRunResult | null,
  fresh: RewardsRunResult,
  functions: readonly { name: string; weight: number }[],
): RewardsRunResult | undefined {
  const byName = new Map([...(last?.functions ?? []), ...fresh.functions].map((f) => [f.name, f]));
  const merged = functions.map((f) => byName.get(f.name));
  if (merged.some((f) => f === undefined)) return undefined;
  const scores = merged as RewardsRunResult['functions'];
  const n = fresh.total.length;
  const total = Array.from({ length: n }, (_, i) => {
    let sum: number | null = null;
    for (const [k, f] of scores.entries()) {
      const v = f.scores[i];
      if (v !== null && v !== undefined && Number.isFinite(v)) sum = (sum ?? 0) + functions[k]!.weight * v;
    }
    return sum;
  });
  return { functions: scores.map((f, k) => ({ ...f, weight: functions[k]!.weight })), total };
}
