// Turns one `rewards/run` answer into what the Reward Lab shows (LabResult). Pure.

import type { ErrorTriple, RewardsRunResult } from '../worker/protocol';
import type { Histogram, TracebackFrame } from './labStats';
import { correlation, describeDiff, diffScores, histogram, tracebackFrames } from './labStats';

/** One function's failures: the samples it failed on, its error and the traceback's frames. */
export interface LabFailure {
  function: string;
  indices: number[];
  error: ErrorTriple;
  frames: TracebackFrame[];
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

export function buildResult(
  run: RewardsRunResult,
  previous: LabResult | null,
  recorded: RecordedRewards | null,
  reason: LabResult['reason'],
): LabResult {
  const functions = run.functions.map((f) => f.name);
  const scores = Object.fromEntries(run.functions.map((f) => [f.name, f.scores]));
  const failures: LabFailure[] = run.functions.flatMap((f) =>
    f.errors.map((e) => ({ function: f.name, indices: e.indices, error: e.error, frames: tracebackFrames(e.error.traceback) })),
  );
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

function sameFunctions(previous: LabResult, functions: string[]): boolean {
  return previous.functions.length === functions.length && previous.functions.every((name, i) => name === functions[i]);
}

function labDiff(before: (number | null)[], after: (number | null)[], against: string): LabDiff {
  const diff = diffScores(before, after);
  return { summary: describeDiff(diff, against), lowered: diff.lowered, raised: diff.raised, nowFailing: diff.nowFailing };
}
