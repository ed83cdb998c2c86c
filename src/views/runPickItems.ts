// What the run quick pick offers (src/views/pickRun.ts shows it): the runs that pass a filter, each
// as an item whose label and description are run-provided text made plain (no `$(icon)`, no link).
// Pure: no `vscode`, so it is unit-tested.

import { plainText } from '../common/untrustedText';
import type { Run } from '../runs/model';

export interface RunPickItem {
  label: string;
  description: string;
  run: Run;
}

export interface RunPickFilter {
  /** Only the runs it accepts are offered (default: every run). */
  filter?: (run: Run) => boolean;
  /** An item's description; default `status · folder id`. */
  describe?: (run: Run) => string;
}

export function runPickItems(runs: readonly Run[], options: RunPickFilter = {}): RunPickItem[] {
  const describe = options.describe ?? ((run: Run) => `${run.derived.status} · ${run.id}`);
  return runs
    .filter((run) => options.filter?.(run) ?? true)
    .map((run) => ({ label: plainText(run.name()), description: plainText(describe(run)), run }));
}

/** Runs with at least one recorded rollouts shard: the Reward Lab's, Open Rollout's and the dataset annotations' runs. */
export function hasRecordedRollouts(run: Run): boolean {
  return run.recordedSteps().length > 0;
}

/** The description of a run offered for its rollouts: how many steps it recorded, and its folder id. */
export function describeRecordedSteps(run: Run): string {
  const steps = run.recordedSteps().length;
  return `${steps} recorded step${steps === 1 ? '' : 's'} · ${run.id}`;
}
