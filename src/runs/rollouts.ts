// Reader for rollout shards, <run>/rollouts/step-XXXXXXXX.parquet (run format v1).
// Reads only what a view shows: per-rollout summary columns by projection for lists, and one
// rollout's token arrays by row range (shards are written in pages of 16 rows with a page index, or
// before that in row groups of 16, so that touches one small page or group instead of
// decompressing the whole token column). No `vscode` import.

import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parquetReadObjects, parquetSchema } from 'hyparquet';
import type { FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { PromptIndex } from './promptIndex';
import { PromptSidecar, keyNumber, promptKey, promptNumber } from './promptSidecar';
import type { RolloutDetail, RolloutScore, RolloutSummary, StepRollouts, StepTokens } from './rolloutTypes';
import { COLUMNS, REPLAY_COLUMNS, REQUIRED_COLUMNS, RUN_FILES, RUN_FORMAT, SHARD_FORMAT_KEY, SUMMARY_COLUMNS, previewOf, stepOfShard, toRow, type Column } from './runFormat';
import { baseName, mean } from './rolloutValues';
import { readFooter, withFile, type FileTail, type Footer, type ReadCounter } from './shardFile';

export type { RolloutDetail, RolloutScore, RolloutSummary, StepRollouts, StepTokens };

export class RolloutShardError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'RolloutShardError';
  }
}

/**
 * What a list shows of each rollout: scalars only, the trainer's per-row summaries included. Shards
 * written before those summaries are listed from `entropies` and `completion` instead (the whole
 * token column decompressed: slower, same values).
 */
const LIST_COLUMNS = ['step', 'prompt_index', 'group_index', 'prompt', 'advantage', 'reward', 'rewards', 'truncated'] as const satisfies readonly Column[];
const LIST_OPTIONAL = ['hint_ids', 'reward_error', ...REPLAY_COLUMNS] as const satisfies readonly Column[];
const LIST_FALLBACK = ['completion', 'entropies'] as const satisfies readonly Column[];
const LIST_FIELDS = [...LIST_COLUMNS, ...LIST_OPTIONAL, ...SUMMARY_COLUMNS];
/** A rollout's detail: every column but the summaries (the detail has what they summarize). */
const DETAIL_COLUMNS = (Object.keys(COLUMNS) as Column[]).filter((c) => !(SUMMARY_COLUMNS as readonly Column[]).includes(c));
const TOKEN_COLUMNS = ['tokens', 'entropies', 'loss_mask', 'entropy_threshold'] as const satisfies readonly Column[];
/** Per-prompt numbers (dataset annotations, reward CodeLens): scalar columns only, the prompt if asked. */
const SCORE_COLUMNS = ['prompt_index', 'group_index', 'advantage', 'reward', 'rewards', 'truncated'] as const satisfies readonly Column[];
const SCORE_FIELDS = [...SCORE_COLUMNS, 'reward_error', 'replayed', 'prompt'] as const satisfies readonly Column[];

/** The recorded step closest to `step` (the earlier one on a tie), or undefined if there is none. */
export function nearestStep(steps: readonly number[], step: number): number | undefined {
  let best: number | undefined;
  for (const s of steps) {
    if (best === undefined || Math.abs(s - step) < Math.abs(best - step)) {
      best = s;
    }
  }
  return best;
}

interface OpenShard {
  metadata: FileMetaData;
  /** The page index (and footer) of a shard written with one: a rollout's pages are found in memory. */
  tail: FileTail | undefined;
  /** Parses the footer's row groups of these rows, for a footer parsed a row group at a time. */
  parseRows: ((rowStart: number, rowEnd: number) => void) | undefined;
  columns: Set<string>;
  size: number;
}

/** A shard's identity on disk: a rewritten shard (after a resume) is another file. */
interface Stamp {
  key: string;
  size: number;
}

/** Runs whose rollouts/prompts.jsonl a reader keeps (most recently used). */
const SIDECARS = 2;

/**
 * Reads shards. What it keeps is bounded: the parsed footers of the `maxFooters` most recently used
 * shards (with their page index: ~30 kB for 1,000 rows in pages of 16; for a shard written in row
 * groups of 16, the footer's ~125 kB and the row groups parsed from it so far, up to ~1 MB),
 * the prompts.jsonl of the last two runs followed (8 bytes per prompt of a step, at most
 * `maxSidecarPrompts` per run), and the prompt index of shards that file does not cover (8 bytes
 * per distinct prompt of a shard, at most `maxIndexedPrompts` in all).
 */
export class RolloutReader {
  private readonly footers = new Map<string, { stamp: string; shard: Promise<OpenShard> }>();
  private readonly prompts: PromptIndex;
  private readonly indexing = new Map<string, Promise<Float64Array>>();
  private readonly sidecars = new Map<string, PromptSidecar>();
  private parsed = 0;
  private readonly counter: ReadCounter = { reads: 0, bytes: 0 };

  constructor(
    private readonly maxFooters = 4,
    maxIndexedPrompts = 1_000_000,
    private readonly maxSidecarPrompts = 2_000_000,
  ) {
    this.prompts = new PromptIndex(maxIndexedPrompts);
  }

  /** Shard footers parsed so far (cache misses). */
  get footersParsed(): number {
    return this.parsed;
  }

  /** Reads from shard files so far, and their bytes (those of page indexes kept in memory not counted again). */
  get fileReads(): Readonly<ReadCounter> {
    return { ...this.counter };
  }

  async rowCount(path: string): Promise<number> {
    return Number((await this.shard(path)).metadata.num_rows);
  }

  async readStep(path: string): Promise<StepRollouts> {
    const shard = await this.shard(path);
    const summarized = SUMMARY_COLUMNS.every((c) => shard.columns.has(c));
    const optional = LIST_OPTIONAL.filter((c) => shard.columns.has(c));
    const columns = [...LIST_COLUMNS, ...optional, ...(summarized ? SUMMARY_COLUMNS : LIST_FALLBACK)];
    const raw = await this.read(path, shard, columns);
    const prompts: Record<number, string> = {};
    const rewardNames = new Set<string>();
    const rollouts = raw.map((values, row): RolloutSummary => {
      const r = toRow(values, LIST_FIELDS, path, row);
      prompts[r.promptIndex] ??= r.prompt;
      for (const name of Object.keys(r.rewards)) {
        rewardNames.add(name);
      }
      const summary = summarized ? r : summarize(toRow(values, LIST_FALLBACK, path, row));
      return {
        row,
        promptIndex: r.promptIndex,
        groupIndex: r.groupIndex,
        reward: r.reward,
        rewards: r.rewards,
        advantage: r.advantage,
        length: summary.completionTokens ?? 0,
        meanEntropy: summary.meanEntropy,
        truncated: r.truncated,
        rewardError: r.rewardError,
        hintIds: r.hintIds,
        preview: summary.preview ?? '',
        replayed: r.replayed,
        age: r.age,
      };
    });
    const step = raw.length > 0 ? toRow(raw[0], ['step'], path, 0).step : (stepOfShard(baseName(path)) ?? -1);
    return { step, file: path, prompts, rewardNames: [...rewardNames], rollouts };
  }

  /**
   * Per-row scores of rows [rowStart, rowEnd) (default: all), no completion and no token arrays
   * (scalar columns: cheap). With `withPrompt` false the prompt column is not read (`prompt` is '').
   */
  async readScores(path: string, withPrompt = true, rowStart?: number, rowEnd?: number): Promise<RolloutScore[]> {
    const shard = await this.shard(path);
    const columns: Column[] = [...SCORE_COLUMNS];
    if (shard.columns.has('reward_error')) columns.push('reward_error');
    if (shard.columns.has('replayed')) columns.push('replayed');
    if (withPrompt) columns.push('prompt');
    const raw = await this.read(path, shard, columns, rowStart, rowEnd);
    return raw.map((values, i) => {
      const row = (rowStart ?? 0) + i;
      return { row, ...toRow(values, SCORE_FIELDS, path, row) };
    });
  }

  async readRollout(path: string, row: number): Promise<RolloutDetail> {
    const shard = await this.shard(path);
    const total = Number(shard.metadata.num_rows);
    if (!Number.isInteger(row) || row < 0 || row >= total) {
      throw new RolloutShardError(path, `row ${row} is out of range (the shard has ${total} rows)`);
    }
    const [raw] = await this.read(path, shard, DETAIL_COLUMNS.filter((c) => shard.columns.has(c)), row, row + 1);
    return { row, ...toRow(raw, DETAIL_COLUMNS, path, row) };
  }

  async readStepTokens(path: string): Promise<StepTokens> {
    const shard = await this.shard(path);
    const columns = TOKEN_COLUMNS.filter((c) => shard.columns.has(c));
    const rows = (await this.read(path, shard, columns)).map((raw, row) => toRow(raw, TOKEN_COLUMNS, path, row));
    return {
      tokens: rows.map((r) => r.tokens),
      entropies: rows.map((r) => r.entropies),
      lossMask: rows.map((r) => r.lossMask),
      entropyThreshold: rows.map((r) => r.entropyThreshold),
    };
  }

  /** The completion texts of rows [rowStart, rowEnd). */
  async readCompletions(path: string, rowStart: number, rowEnd: number): Promise<string[]> {
    const shard = await this.shard(path);
    const rows = await this.read(path, shard, ['completion'], rowStart, rowEnd);
    return rows.map((raw, i) => toRow(raw, ['completion'], path, rowStart + i).completion);
  }

  /** Rows whose prompt or completion contains `text` (case-insensitive). */
  async search(path: string, text: string): Promise<number[]> {
    const needle = text.toLowerCase();
    const shard = await this.shard(path);
    const rows = await this.read(path, shard, ['prompt', 'completion']);
    const hits: number[] = [];
    rows.forEach((raw, row) => {
      const r = toRow(raw, ['prompt', 'completion'], path, row);
      if (r.completion.toLowerCase().includes(needle) || r.prompt.toLowerCase().includes(needle)) {
        hits.push(row);
      }
    });
    return hits;
  }

  /**
   * The steps whose shard holds a prompt with exactly this text. The trainer's rollouts/prompts.jsonl
   * tells for the steps it has a line for; the other shards' prompts are read the first time they
   * are asked about (and again if the file changes), not on every call.
   */
  async stepsWithPrompt(shards: readonly { step: number; file: string }[], prompt: string): Promise<number[]> {
    const stamps = await Promise.all(shards.map((s) => stampOf(s.file)));
    const sidecars = new Map([...new Set(shards.map((s) => dirname(s.file)))].map((dir) => [dir, this.sidecar(dir)]));
    await Promise.all([...sidecars.values()].map((s) => s.refresh()));
    const key = promptKey(prompt);
    const number = keyNumber(key);
    const steps: number[] = [];
    for (const [i, { step, file }] of shards.entries()) {
      const holds = sidecars.get(dirname(file))!.holds(step, stamps[i].size, key);
      if (holds ?? (await this.promptHashes(file, stamps[i])).includes(number)) {
        steps.push(step);
      }
    }
    return steps;
  }

  /** The prompts.jsonl of a rollouts folder, kept for the most recently followed runs. */
  private sidecar(dir: string): PromptSidecar {
    const sidecar = this.sidecars.get(dir) ?? new PromptSidecar(join(dir, RUN_FILES.promptIndex), this.maxSidecarPrompts);
    this.sidecars.delete(dir);
    this.sidecars.set(dir, sidecar);
    if (this.sidecars.size > SIDECARS) this.sidecars.delete(this.sidecars.keys().next().value as string);
    return sidecar;
  }

  /** A shard's prompt hashes: indexed once, also when calls overlap (the app asks after each rollout it opens). */
  private promptHashes(path: string, stamp: Stamp): Promise<Float64Array> {
    const known = this.prompts.get(path, stamp.key);
    if (known) {
      return Promise.resolve(known);
    }
    const key = `${path}\n${stamp.key}`;
    let pending = this.indexing.get(key);
    if (!pending) {
      pending = this.indexPrompts(path, stamp).finally(() => this.indexing.delete(key));
      this.indexing.set(key, pending);
    }
    return pending;
  }

  private async indexPrompts(path: string, stamp: Stamp): Promise<Float64Array> {
    // Outside the footer cache: one scan of every step must not evict the footers of the steps in view.
    const cached = this.footers.get(path);
    const shard = await (cached?.stamp === stamp.key ? cached.shard : this.load(path, stamp));
    const prompts = (await this.read(path, shard, ['prompt'])).map((raw, row) => toRow(raw, ['prompt'], path, row).prompt);
    const hashes = Float64Array.from(new Set(prompts), promptNumber);
    this.prompts.set(path, stamp.key, hashes);
    return hashes;
  }

  private async read(
    path: string,
    shard: OpenShard,
    columns: readonly string[],
    rowStart?: number,
    rowEnd?: number,
  ): Promise<Record<string, unknown>[]> {
    try {
      shard.parseRows?.(rowStart ?? 0, rowEnd ?? Number.POSITIVE_INFINITY);
      return await withFile(
        path,
        shard.size,
        async (file) => {
          const options = { file, metadata: shard.metadata, columns: [...columns], rowStart, rowEnd, compressors, useOffsetIndex: true };
          return (await parquetReadObjects(options)) as Record<string, unknown>[];
        },
        { tail: shard.tail, counter: this.counter },
      );
    } catch (error) {
      throw new RolloutShardError(path, `cannot read columns ${columns.join(', ')}: ${errorMessage(error)}`);
    }
  }

  /** The shard's parsed footer: cached (most recently used last), one parse for concurrent callers. */
  private async shard(path: string): Promise<OpenShard> {
    const stamp = await stampOf(path);
    const cached = this.footers.get(path);
    this.footers.delete(path);
    if (cached?.stamp === stamp.key) {
      this.footers.set(path, cached);
      return cached.shard;
    }
    const entry = { stamp: stamp.key, shard: this.load(path, stamp) };
    this.footers.set(path, entry);
    entry.shard.catch(() => {
      if (this.footers.get(path) === entry) this.footers.delete(path);
    });
    while (this.footers.size > this.maxFooters) {
      this.footers.delete(this.footers.keys().next().value as string);
    }
    return entry.shard;
  }

  private async load(path: string, stamp: Stamp): Promise<OpenShard> {
    let footer: Footer;
    this.parsed++;
    try {
      footer = await readFooter(path, stamp.size, this.counter);
    } catch (error) {
      throw new RolloutShardError(path, `not a readable Parquet file: ${errorMessage(error)}`);
    }
    const { metadata, tail, parseRows } = footer;
    const format = metadata.key_value_metadata?.find((kv) => kv.key === SHARD_FORMAT_KEY)?.value;
    if (format !== undefined && format !== RUN_FORMAT) {
      throw new RolloutShardError(path, `format '${format}' is not supported (expected '${RUN_FORMAT}')`);
    }
    const columns = new Set(parquetSchema(metadata).children.map((c) => c.element.name));
    const missing = REQUIRED_COLUMNS.filter((c) => !columns.has(c));
    if (missing.length > 0) {
      throw new RolloutShardError(path, `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
    }
    return { metadata, tail, parseRows, columns, size: stamp.size };
  }
}

async function stampOf(path: string): Promise<Stamp> {
  try {
    const info = await stat(path);
    return { key: `${info.mtimeMs}:${info.size}`, size: info.size };
  } catch (error) {
    throw new RolloutShardError(path, `cannot open: ${errorMessage(error)}`);
  }
}

/** The per-row summaries of a shard written before the trainer wrote them (as runformat.row_summary computes them). */
function summarize(r: { completion: string; entropies: number[] }) {
  return { completionTokens: r.entropies.length, meanEntropy: mean(r.entropies), preview: previewOf(r.completion) };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
