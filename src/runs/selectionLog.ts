// <run>/selection.jsonl (docs/run-format.md): why difficulty-targeted selection chose each prompt of
// a step. Read incrementally (JsonlTail: never the same bytes twice); a rewritten file (a resume
// drops the lines of redone steps) is read again from the start. No `vscode` import.
import { basename } from 'node:path';
import { countEstimates, type DifficultyHistogram } from '../common/difficultyHistogram';
import { JsonlTail } from './jsonlTail';
import type { RolloutDetail, SelectionChoice } from './rolloutTypes';

const BASES = new Set(['observed', 'predicted', 'none']);
const REASONS = new Set(['target', 'explore']);

export class SelectionLog {
  private readonly tail: JsonlTail;
  /** step → dataset_index → choice; the last line of a step wins. */
  private readonly steps = new Map<number, Map<number, SelectionChoice>>();
  /** Complete lines that are not JSON: "selection.jsonl line 5: …" (a rewritten file starts again). */
  private readonly bad: string[] = [];

  constructor(readonly file: string) {
    this.tail = new JsonlTail(file);
  }

  /** Why `datasetIndex`'s prompt was chosen at `step`, or null (selection off, or not in the file). */
  async choice(step: number, datasetIndex: number): Promise<SelectionChoice | null> {
    await this.refresh();
    return this.steps.get(step)?.get(datasetIndex) ?? null;
  }

  /**
   * Why a shard row's prompt was chosen: a fresh row's at its step; a replayed row's at the step whose
   * round generated it (`age` steps earlier). Null without `dataset_index` (shards recorded before it).
   */
  async choiceOf(row: Pick<RolloutDetail, 'step' | 'age' | 'datasetIndex'>): Promise<SelectionChoice | null> {
    return row.datasetIndex === null ? null : this.choice(row.step - row.age, row.datasetIndex);
  }

  /** The chosen prompts' estimates binned per step (the dashboard's heatmap); null when there is no line. */
  async histogram(): Promise<DifficultyHistogram | null> {
    await this.refresh();
    if (this.steps.size === 0 && this.bad.length === 0) return null;
    const steps = [...this.steps.keys()].sort((a, b) => a - b);
    const binned = steps.map((step) => countEstimates([...this.steps.get(step)!.values()].map((c) => c.estimate)));
    return { steps, counts: binned.map((b) => b.counts), unestimated: binned.map((b) => b.unestimated), problems: [...this.bad] };
  }

  private async refresh(): Promise<void> {
    for (let more = true; more; ) {
      const result = await this.tail.read();
      if (result.reset) {
        this.steps.clear();
        this.bad.length = 0;
      }
      for (const row of result.rows) this.add(row);
      for (const { line, message } of result.bad) this.bad.push(`${basename(this.tail.file)} line ${line}: ${message}`);
      more = result.more;
    }
  }

  /** A line that is not a selection line (another writer's, a future version's) is skipped. */
  private add(row: unknown): void {
    const line = row as { step?: unknown; prompts?: unknown };
    if (typeof line?.step !== 'number' || !Array.isArray(line.prompts)) return;
    const byIndex = new Map<number, SelectionChoice>();
    for (const p of line.prompts as Record<string, unknown>[]) {
      if (typeof p?.dataset_index !== 'number' || !BASES.has(String(p.basis)) || !REASONS.has(String(p.reason))) continue;
      byIndex.set(p.dataset_index, {
        estimate: typeof p.estimate === 'number' ? p.estimate : null,
        basis: p.basis as SelectionChoice['basis'],
        reason: p.reason as SelectionChoice['reason'],
        observed: typeof p.observed === 'number' ? p.observed : null,
      });
    }
    this.steps.set(line.step, byIndex);
  }
}
