// Which recorded steps sampled the prompt of a dataset line, and how its samples scored.
//
// A shard's `prompt` is the dataset's text after the run's chat template (system prompt, role
// markers): prefix + text + suffix, the same prefix and suffix for every plain-text prompt. The
// wrapper is learnt once from the prompts of one shard (the dataset text found inside them), then a
// line's shard prompt is rebuilt and looked up by its key in rollouts/prompts.jsonl, read once per
// run and then only what was appended. No `vscode` import.

import { dirname, isAbsolute, resolve } from 'node:path';
import type { Run } from '../runs/model';
import { PromptSidecar, promptNumber } from '../runs/promptSidecar';
import { runPaths } from '../runs/runFormat';
import type { RolloutReader } from '../runs/rollouts';
import type { RolloutScore } from '../runs/rolloutTypes';

/** How the trainer turns a dataset row into prompt text (the run config's `data` section). */
export interface DataSpec {
  /** Absolute path of the dataset file. */
  path: string;
  promptColumn: string;
  template: string | null;
}

/** The dataset a run trained on; undefined for generated data (reasoning-gym) or a config without one. */
export function dataSpec(run: Run): DataSpec | undefined {
  const data = run.manifest?.config?.data as { path?: unknown; prompt_column?: unknown; template?: unknown } | undefined;
  if (!data || typeof data.path !== 'string') return undefined;
  const base = run.manifest?.configPath ? dirname(run.manifest.configPath) : run.dir;
  return {
    path: isAbsolute(data.path) ? data.path : resolve(base, data.path),
    promptColumn: typeof data.prompt_column === 'string' ? data.prompt_column : 'prompt',
    template: typeof data.template === 'string' ? data.template : null,
  };
}

/** The prompt text of a JSONL line, or undefined (not JSON, not an object, no usable prompt). */
export function lineText(line: string, spec: DataSpec): string | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  let row: unknown;
  try {
    row = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return undefined;
  const record = row as Record<string, unknown>;
  if (spec.template !== null) return formatTemplate(spec.template, record);
  const value = record[spec.promptColumn];
  return typeof value === 'string' ? value : undefined;
}

/** Python's `template.format(**row)` for plain `{column}` fields; undefined for anything else. */
export function formatTemplate(template: string, row: Record<string, unknown>): string | undefined {
  let failed = false;
  const text = template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (match, name: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    const value = name !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? row[name] : undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' && Number.isInteger(value)) return String(value);
    failed = true; // floats, booleans, objects print differently in Python: no guess
    return '';
  });
  return failed ? undefined : text;
}

export interface Wrapper {
  prefix: string;
  suffix: string;
}

/**
 * The text around dataset texts in shard prompts: the longest dataset text found inside a prompt
 * gives the prefix and suffix, which a second distinct prompt (when there is one) must share.
 */
export function learnWrapper(prompts: readonly string[], texts: Iterable<string>): Wrapper | undefined {
  const KEY = 8;
  const byStart = new Map<string, string[]>();
  const lengths = new Set<number>();
  for (const text of texts) {
    if (!text) continue;
    const key = text.slice(0, KEY);
    lengths.add(key.length);
    const list = byStart.get(key);
    if (list) list.push(text);
    else byStart.set(key, [text]);
  }
  const distinct = [...new Set(prompts)];
  for (const prompt of distinct) {
    let best: { at: number; text: string } | undefined;
    for (let i = 0; i < prompt.length; i++) {
      for (const n of lengths) {
        for (const text of byStart.get(prompt.substr(i, n)) ?? []) {
          if ((!best || text.length > best.text.length) && prompt.startsWith(text, i)) best = { at: i, text };
        }
      }
    }
    if (!best) continue;
    const wrapper = { prefix: prompt.slice(0, best.at), suffix: prompt.slice(best.at + best.text.length) };
    const others = distinct.filter((p) => p !== prompt);
    if (others.length === 0 || others.some((p) => p.startsWith(wrapper.prefix) && p.endsWith(wrapper.suffix))) return wrapper;
  }
  return undefined;
}

/** The steps that sampled each prompt, and each step's prompts in order, from a run's rollouts/prompts.jsonl. */
export class PromptSteps {
  private readonly sidecar: PromptSidecar;
  private readonly steps = new Map<number, number[]>();
  private stepKeys = new Map<number, Float64Array>();
  private seen = new Map<number, number>();

  constructor(run: Run) {
    this.sidecar = new PromptSidecar(runPaths(run.dir).promptIndex, Number.MAX_SAFE_INTEGER);
  }

  /** Reads what was appended; rebuilds the map when lines changed (a redone step). */
  async refresh(): Promise<void> {
    await this.sidecar.refresh();
    const lines = [...this.sidecar.lines()];
    const changed = lines.length !== this.seen.size || lines.some((l) => this.seen.get(l.step) !== l.bytes);
    if (!changed) return;
    this.steps.clear();
    this.seen = new Map(lines.map((l) => [l.step, l.bytes]));
    this.stepKeys = new Map(lines.map((l) => [l.step, l.keys]));
    for (const { step, keys } of lines.sort((a, b) => a.step - b.step)) {
      for (const key of keys) {
        const list = this.steps.get(key);
        if (list) list.push(step);
        else this.steps.set(key, [step]);
      }
    }
  }

  /** Ascending steps that sampled the prompt with this number (promptNumber of its shard text). */
  of(key: number): readonly number[] {
    return this.steps.get(key) ?? [];
  }

  /** A step's distinct prompts in the order of their first row. */
  keysOf(step: number): Float64Array | undefined {
    return this.stepKeys.get(step);
  }

  get size(): number {
    return this.steps.size;
  }
}

/**
 * The rows of one prompt at one step. Rows are sorted by (prompt_index, group_index): when a step
 * has as many rows as its distinct prompts in prompts.jsonl times num_generations, the k-th prompt
 * there holds rows [k·G, (k+1)·G). The first time a shard is asked about, only those rows are read
 * (a quick first paint); the second time, its score columns are read whole and kept per prompt
 * (one read then serves every prompt of the step). Without that layout (a prompt sampled twice in
 * a batch, a truncated shard) the step's prompts are read and hashed. Steps kept: up to `maxRows`
 * rows in all.
 */
export class StepScoresCache {
  private readonly steps = new Map<string, Promise<Map<number, RolloutScore[]>>>();
  private readonly rowsOf = new Map<string, number>();
  private readonly touched = new Set<string>();
  private rows = 0;

  constructor(
    private readonly reader: RolloutReader,
    private readonly maxRows = 300_000,
  ) {}

  /** `keys`: the step's prompts in prompts.jsonl order; `generations`: the run's num_generations. */
  async get(run: Run, step: number, key: number, keys?: Float64Array, generations?: number): Promise<RolloutScore[] | undefined> {
    const file = run.rolloutsFile(step);
    const known = this.steps.get(file);
    if (known) {
      this.steps.delete(file); // most recently used last
      this.steps.set(file, known);
      return (await known).get(key);
    }
    const k = keys ? keys.indexOf(key) : -1;
    const layout = keys && k >= 0 && generations !== undefined && (await this.reader.rowCount(file)) === keys.length * generations;
    if (layout && !this.touched.has(file)) {
      this.touch(file);
      // The prompts of these few rows are read too: they must be the prompt asked for.
      const rows = await this.reader.readScores(file, true, k * generations, (k + 1) * generations);
      if (rows.every((r) => r.promptIndex === k && r.prompt === rows[0].prompt) && promptNumber(rows[0].prompt) === key) {
        return fresh(rows).map((r) => ({ ...r, prompt: '' }));
      }
    }
    return (await this.step(file, layout ? keys : undefined)).get(key);
  }

  private step(file: string, keys: Float64Array | undefined): Promise<Map<number, RolloutScore[]>> {
    const entry = this.readStep(file, keys);
    entry.catch(() => this.steps.delete(file));
    this.steps.set(file, entry);
    void entry.then((groups) => {
      const n = [...groups.values()].reduce((sum, rows) => sum + rows.length, 0);
      this.rowsOf.set(file, n);
      this.rows += n;
      while (this.rows > this.maxRows && this.steps.size > 1) {
        const oldest = this.steps.keys().next().value as string;
        this.steps.delete(oldest);
        this.rows -= this.rowsOf.get(oldest) ?? 0;
        this.rowsOf.delete(oldest);
      }
    }, () => undefined);
    return entry;
  }

  private async readStep(file: string, keys: Float64Array | undefined): Promise<Map<number, RolloutScore[]>> {
    if (keys) {
      const byIndex = new Map<number, RolloutScore[]>();
      for (const row of await this.reader.readScores(file, false)) {
        const list = byIndex.get(row.promptIndex);
        if (list) list.push(row);
        else byIndex.set(row.promptIndex, [row]);
      }
      if (byIndex.size === keys.length && [...byIndex.keys()].every((index) => index >= 0 && index < keys.length)) {
        return new Map([...byIndex].map(([index, rows]) => [keys[index], fresh(rows)]));
      }
    }
    return groupByPrompt(await this.reader.readScores(file, true));
  }

  private touch(file: string): void {
    this.touched.add(file);
    if (this.touched.size > 100_000) this.touched.delete(this.touched.values().next().value as string);
  }
}

function groupByPrompt(rows: RolloutScore[]): Map<number, RolloutScore[]> {
  const numbers = new Map<string, number>();
  const groups = new Map<number, RolloutScore[]>();
  for (const row of fresh(rows)) {
    let key = numbers.get(row.prompt);
    if (key === undefined) {
      key = promptNumber(row.prompt);
      numbers.set(row.prompt, key);
    }
    const slim = { ...row, prompt: '' }; // the text is the key's; keep memory per step small
    const list = groups.get(key);
    if (list) list.push(slim);
    else groups.set(key, [slim]);
  }
  return groups;
}

/** Rows generated at their step: a replayed row is a result of the step that generated it, counted there. */
function fresh(rows: RolloutScore[]): RolloutScore[] {
  return rows.some((r) => r.replayed) ? rows.filter((r) => !r.replayed) : rows;
}
