// The run the Reward Lab opens on when it has no samples yet: the newest run with recorded rollouts,
// once the run store's first scan has ended (before it, the store may know none or only some runs),
// or the first such run to appear later. No `vscode` import.

import type { Run, RunStore } from '../runs/model';
import { hasRecordedRollouts } from '../views/runPickItems';

export interface PendingRun {
  /** The run; undefined when disposed before one was found. */
  readonly run: Promise<Run | undefined>;
  dispose(): void;
}

export function latestRunWithRollouts(store: RunStore, scanned: Promise<void>): PendingRun {
  let done: (run: Run | undefined) => void = () => undefined;
  const run = new Promise<Run | undefined>((resolve) => (done = resolve));
  let listener: { dispose(): void } | undefined;
  let disposed = false;
  const finish = (found: Run | undefined) => {
    disposed = true;
    listener?.dispose();
    done(found);
  };
  const look = () => {
    const found = store.runs().find(hasRecordedRollouts);
    if (found) finish(found);
  };
  void scanned.catch(() => undefined).then(() => {
    if (disposed) return;
    listener = store.onDidChangeRuns(look);
    look();
  });
  return { run, dispose: () => finish(undefined) };
}
