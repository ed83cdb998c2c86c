// The host side of the dashboard's Selection heatmap: each overlaid run's selection.jsonl, read
// incrementally (SelectionLog keeps its offset, so a live run's refresh reads only the new lines).
import type { DifficultyHistogram } from '../../common/difficultyHistogram';
import type { RunStore } from '../../runs/model';
import { runPaths } from '../../runs/runFormat';
import { SelectionLog } from '../../runs/selectionLog';

/** Logs kept (the least recently asked goes first): the dashboard overlays a few runs at a time. */
const KEPT = 8;

export class SelectionHistograms {
  private readonly logs = new Map<string, SelectionLog>();

  constructor(private readonly store: RunStore) {}

  /** The run's difficulty histogram, or null when it has no selection.jsonl (selection off). */
  async histogram(runId: string): Promise<DifficultyHistogram | null> {
    const run = this.store.get(runId);
    if (!run) throw new Error(`No run '${runId}' is known (was its folder removed?).`);
    const file = runPaths(run.dir).selection;
    let log = this.logs.get(runId);
    if (log?.file !== file) log = new SelectionLog(file);
    this.logs.delete(runId);
    this.logs.set(runId, log);
    if (this.logs.size > KEPT) this.logs.delete(this.logs.keys().next().value as string);
    return log.histogram();
  }
}
