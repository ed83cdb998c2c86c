// Annotations of a dataset file's lines for one run: for each visible line, the latest recorded step
// that sampled its prompt and that step's numbers, against the first step that sampled it. Work is
// asynchronous and bounded to the lines asked for; shards read once are kept (StepScoresCache).
// No `vscode` import.

import { promptNumber } from '../runs/promptSidecar';
import type { Run } from '../runs/model';
import type { RolloutReader } from '../runs/rollouts';
import type { RolloutScore } from '../runs/rolloutTypes';
import { annotationText, correctnessReward, flags, promptStats, type Correctness, type Flags, type PromptStats } from './annotationText';
import { PromptSteps, type StepScoresCache, dataSpec, learnWrapper, lineText, type DataSpec, type Wrapper } from './datasetIndex';

export interface LineAnnotation {
  line: number;
  text: string;
  flags: Flags;
  latest: PromptStats;
  first: PromptStats | undefined;
  /** Every recorded step that sampled the prompt, ascending. */
  steps: readonly number[];
  /** The latest step's samples (for the hover's list and links). */
  samples: RolloutScore[];
}

/** Shards read at once while annotating. */
const PARALLEL_READS = 8;

export class DatasetAnnotator {
  readonly spec: DataSpec | undefined;
  readonly correctness: Correctness | undefined;
  private readonly promptSteps: PromptSteps;
  private wrapper: Promise<Wrapper | undefined> | undefined;
  private readonly generations: number | undefined;

  constructor(
    readonly run: Run,
    private readonly reader: RolloutReader,
    private readonly scores: StepScoresCache,
  ) {
    this.spec = dataSpec(run);
    this.correctness = correctnessReward(run.manifest?.config?.rewards);
    this.promptSteps = new PromptSteps(run);
    const algorithm = run.manifest?.config?.algorithm as { num_generations?: unknown } | undefined;
    this.generations = typeof algorithm?.num_generations === 'number' ? algorithm.num_generations : undefined;
  }

  /**
   * Learns how prompts are wrapped from the run's latest shard and the texts of the dataset's lines
   * (once; again after `reset`). `allLines` is called only when needed.
   */
  private prepare(allLines: () => readonly string[]): Promise<Wrapper | undefined> {
    this.wrapper ??= (async () => {
      const spec = this.spec;
      const latest = this.run.recordedSteps().at(-1);
      if (!spec || latest === undefined) return undefined;
      const rows = await this.reader.readScores(this.run.rolloutsFile(latest));
      const texts = allLines().map((line) => lineText(line, spec)).filter((t): t is string => t !== undefined);
      return learnWrapper(rows.map((r) => r.prompt), texts);
    })();
    this.wrapper.catch(() => (this.wrapper = undefined));
    return this.wrapper;
  }

  /** Forget the learnt wrapper (the dataset or the run changed a lot). */
  reset(): void {
    this.wrapper = undefined;
  }

  /**
   * Annotations of these lines. `since` false skips the first step that sampled each prompt (one
   * shard per line instead of two): a quick first paint, completed by a second call.
   */
  async annotate(lines: readonly { line: number; text: string }[], allLines: () => readonly string[], since = true): Promise<LineAnnotation[]> {
    const spec = this.spec;
    if (!spec) return [];
    const wrapper = await this.prepare(allLines);
    if (!wrapper) return [];
    await this.promptSteps.refresh();
    const wanted: { line: number; steps: readonly number[]; key: number }[] = [];
    for (const { line, text } of lines) {
      const prompt = lineText(text, spec);
      if (prompt === undefined) continue;
      const key = promptNumber(wrapper.prefix + prompt + wrapper.suffix);
      const steps = this.promptSteps.of(key);
      if (steps.length > 0) wanted.push({ line, steps, key });
    }
    const out: LineAnnotation[] = [];
    await forEachLimited(wanted, PARALLEL_READS, async ({ line, steps, key }) => {
      const [latestStep, firstRows] = await Promise.all([this.latestFresh(steps, key), since && steps.length > 1 ? this.rows(steps[0], key) : undefined]);
      if (!latestStep) return;
      const [last, latestRows] = latestStep;
      const latest = promptStats(last, latestRows, this.correctness);
      const first = firstRows && firstRows.length > 0 ? promptStats(steps[0], firstRows, this.correctness) : undefined;
      out.push({ line, text: annotationText(latest, first), flags: flags(latest), latest, first, steps, samples: latestRows });
    });
    return out.sort((a, b) => a.line - b.line);
  }

  /** The latest of `steps` that generated this prompt (a step that only replayed its group has no rows of it). */
  private async latestFresh(steps: readonly number[], key: number): Promise<[number, RolloutScore[]] | undefined> {
    for (let i = steps.length - 1; i >= 0; i--) {
      const rows = await this.rows(steps[i], key);
      if (rows && rows.length > 0) return [steps[i], rows];
    }
    return undefined;
  }

  private async rows(step: number, key: number): Promise<RolloutScore[] | undefined> {
    if (!this.run.recordedSteps().includes(step)) return undefined; // a shard named in prompts.jsonl but gone
    try {
      return await this.scores.get(this.run, step, key, this.promptSteps.keysOf(step), this.generations);
    } catch {
      return undefined; // an unreadable shard: that line shows nothing (the inspector names the file)
    }
  }
}

async function forEachLimited<T>(items: readonly T[], limit: number, body: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await body(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
