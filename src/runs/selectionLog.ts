// <run>/selection.jsonl (docs/run-format.md): why difficulty-targeted selection chose each prompt of
// a step. Read incrementally (JsonlTail: never the same bytes twice); a rewritten file (a resume
// drops the lines of redone steps) is read again from the start. No `vscode` import.
import { JsonlTail } from './jsonlTail';
import type { SelectionChoice } from './rolloutTypes';

const BASES = new Set(['observed', 'predicted', 'none']);
const REASONS = new Set(['target', 'explore']);

export class SelectionLog {
  private readonly tail: JsonlTail;
  /** step → dataset_index → choice; the last line of a step wins. */
  private readonly steps = new Map<number, Map<number, SelectionChoice>>();

  constructor(file: string) {
    this.tail = new JsonlTail(file);
  }

  /** Why `datasetIndex`'s prompt was chosen at `step`, or null (selection off, or not in the file). */
  async choice(step: number, datasetIndex: number): Promise<SelectionChoice | null> {
    for (let more = true; more; ) {
      const result = await this.tail.read();
      if (result.reset) this.steps.clear();
      for (const row of result.rows) this.add(row);
      more = result.more;
    }
    return this.steps.get(step)?.get(datasetIndex) ?? null;
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
