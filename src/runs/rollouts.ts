// Reader for rollout shards, <run>/rollouts/step-XXXXXXXX.parquet (run format v1).
// Reads only what a view shows: per-rollout summary columns by projection for lists, and one
// rollout's token arrays by row range (shards are written in row groups of 16, so that touches one
// small group instead of decompressing the whole token column). No `vscode` import.

import { stat } from 'node:fs/promises';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { RUN_FORMAT } from './model';
import type { RolloutDetail, RolloutSummary, StepRollouts, StepTokens } from './rolloutTypes';

export type { RolloutDetail, RolloutSummary, StepRollouts, StepTokens };

export class RolloutShardError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'RolloutShardError';
  }
}

const REQUIRED_COLUMNS = [
  'step',
  'prompt_index',
  'group_index',
  'prompt',
  'completion',
  'token_ids',
  'tokens',
  'logprobs',
  'entropies',
  'loss_mask',
  'advantage',
  'reward',
  'rewards',
  'truncated',
] as const;

const PREVIEW_CHARS = 160;

export function shardFileName(step: number): string {
  return `step-${String(step).padStart(8, '0')}.parquet`;
}

/** The step of a shard file name, or undefined if the name is not one. */
export function stepOfShard(name: string): number | undefined {
  const match = /^step-(\d{8,})\.parquet$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

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
  file: AsyncBuffer;
  metadata: FileMetaData;
  columns: Set<string>;
  mtimeMs: number;
  size: number;
}

/** Reads shards, keeping the metadata of recently used ones (a shard is written once, atomically). */
export class RolloutReader {
  private readonly open = new Map<string, OpenShard>();

  constructor(private readonly maxOpen = 4) {}

  async rowCount(path: string): Promise<number> {
    return Number((await this.shard(path)).metadata.num_rows);
  }

  async readStep(path: string): Promise<StepRollouts> {
    const shard = await this.shard(path);
    const optional = ['hint_ids', 'reward_error'].filter((c) => shard.columns.has(c));
    const rows = await this.read(path, shard, [
      'step',
      'prompt_index',
      'group_index',
      'prompt',
      'completion',
      'advantage',
      'reward',
      'rewards',
      'truncated',
      'entropies',
      ...optional,
    ]);
    const prompts: Record<number, string> = {};
    const rewardNames = new Set<string>();
    const rollouts = rows.map((r, row): RolloutSummary => {
      const promptIndex = Number(r.prompt_index);
      prompts[promptIndex] ??= String(r.prompt ?? '');
      const rewards = toRewards(r.rewards);
      for (const name of Object.keys(rewards)) {
        rewardNames.add(name);
      }
      const entropies = toNumbers(r.entropies);
      const completion = String(r.completion ?? '');
      return {
        row,
        promptIndex,
        groupIndex: Number(r.group_index),
        reward: toNumber(r.reward),
        rewards,
        advantage: toNumber(r.advantage),
        length: entropies.length,
        meanEntropy: mean(entropies),
        truncated: Boolean(r.truncated),
        rewardError: r.reward_error == null ? null : String(r.reward_error),
        hintIds: toStrings(r.hint_ids),
        preview: completion.length > PREVIEW_CHARS ? completion.slice(0, PREVIEW_CHARS) : completion,
      };
    });
    const step = rows.length > 0 ? Number(rows[0].step) : (stepOfShard(baseName(path)) ?? -1);
    return { step, file: path, prompts, rewardNames: [...rewardNames], rollouts };
  }

  async readRollout(path: string, row: number): Promise<RolloutDetail> {
    const shard = await this.shard(path);
    const total = Number(shard.metadata.num_rows);
    if (!Number.isInteger(row) || row < 0 || row >= total) {
      throw new RolloutShardError(path, `row ${row} is out of range (the shard has ${total} rows)`);
    }
    const [r] = await this.read(path, shard, [...shard.columns], row, row + 1);
    return {
      step: Number(r.step),
      row,
      promptIndex: Number(r.prompt_index),
      groupIndex: Number(r.group_index),
      prompt: String(r.prompt ?? ''),
      completion: String(r.completion ?? ''),
      tokenIds: toNumbers(r.token_ids),
      tokens: toStrings(r.tokens),
      logprobs: toNumbers(r.logprobs),
      entropies: toNumbers(r.entropies),
      lossMask: toNumbers(r.loss_mask),
      advantage: toNumber(r.advantage),
      reward: toNumber(r.reward),
      rewards: toRewards(r.rewards),
      truncated: Boolean(r.truncated),
      hintIds: toStrings(r.hint_ids),
      rewardError: r.reward_error == null ? null : String(r.reward_error),
      extras: parseExtras(path, row, r.extras),
      entropyThreshold: toNumber(r.entropy_threshold),
    };
  }

  async readStepTokens(path: string): Promise<StepTokens> {
    const shard = await this.shard(path);
    const withThreshold = shard.columns.has('entropy_threshold');
    const rows = await this.read(path, shard, [
      'tokens',
      'entropies',
      'loss_mask',
      ...(withThreshold ? ['entropy_threshold'] : []),
    ]);
    return {
      tokens: rows.map((r) => toStrings(r.tokens)),
      entropies: rows.map((r) => toNumbers(r.entropies)),
      lossMask: rows.map((r) => toNumbers(r.loss_mask)),
      entropyThreshold: rows.map((r) => toNumber(r.entropy_threshold)),
    };
  }

  /** The completion texts of rows [rowStart, rowEnd). */
  async readCompletions(path: string, rowStart: number, rowEnd: number): Promise<string[]> {
    const shard = await this.shard(path);
    const rows = await this.read(path, shard, ['completion'], rowStart, rowEnd);
    return rows.map((r) => String(r.completion ?? ''));
  }

  /** Rows whose prompt or completion contains `text` (case-insensitive). */
  async search(path: string, text: string): Promise<number[]> {
    const needle = text.toLowerCase();
    const shard = await this.shard(path);
    const rows = await this.read(path, shard, ['prompt', 'completion']);
    const hits: number[] = [];
    rows.forEach((r, row) => {
      if (String(r.completion ?? '').toLowerCase().includes(needle) || String(r.prompt ?? '').toLowerCase().includes(needle)) {
        hits.push(row);
      }
    });
    return hits;
  }

  /** Whether the shard holds a prompt with exactly this text. */
  async hasPrompt(path: string, prompt: string): Promise<boolean> {
    const shard = await this.shard(path);
    const rows = await this.read(path, shard, ['prompt']);
    return rows.some((r) => r.prompt === prompt);
  }

  private async read(
    path: string,
    shard: OpenShard,
    columns: string[],
    rowStart?: number,
    rowEnd?: number,
  ): Promise<Record<string, unknown>[]> {
    try {
      return (await parquetReadObjects({
        file: shard.file,
        metadata: shard.metadata,
        columns,
        rowStart,
        rowEnd,
        compressors,
      })) as Record<string, unknown>[];
    } catch (error) {
      throw new RolloutShardError(path, `cannot read columns ${columns.join(', ')}: ${errorMessage(error)}`);
    }
  }

  private async shard(path: string): Promise<OpenShard> {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      throw new RolloutShardError(path, `cannot open: ${errorMessage(error)}`);
    }
    const cached = this.open.get(path);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) {
      this.open.delete(path);
      this.open.set(path, cached); // most recently used last
      return cached;
    }
    let file: AsyncBuffer;
    let metadata: FileMetaData;
    try {
      file = await asyncBufferFromFile(path);
      metadata = await parquetMetadataAsync(file);
    } catch (error) {
      throw new RolloutShardError(path, `not a readable Parquet file: ${errorMessage(error)}`);
    }
    const format = metadata.key_value_metadata?.find((kv) => kv.key === 'rlstudio.format')?.value;
    if (format !== undefined && format !== RUN_FORMAT) {
      throw new RolloutShardError(path, `format '${format}' is not supported (expected '${RUN_FORMAT}')`);
    }
    const columns = new Set(parquetSchema(metadata).children.map((c) => c.element.name));
    const missing = REQUIRED_COLUMNS.filter((c) => !columns.has(c));
    if (missing.length > 0) {
      throw new RolloutShardError(path, `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
    }
    const opened: OpenShard = { file, metadata, columns, mtimeMs: info.mtimeMs, size: info.size };
    this.open.set(path, opened);
    while (this.open.size > this.maxOpen) {
      this.open.delete(this.open.keys().next().value as string);
    }
    return opened;
  }
}

// --- value conversion (Parquet int64 arrives as bigint, lists as arrays or typed arrays) ------

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined) {
    return null;
  }
  const n = Number(value);
  return Number.isNaN(n) && typeof value !== 'number' ? null : n;
}

function toNumbers(value: unknown): number[] {
  if (value === null || value === undefined) {
    return [];
  }
  return Array.from(value as ArrayLike<unknown>, (v) => (v === null || v === undefined ? Number.NaN : Number(v)));
}

function toStrings(value: unknown): string[] {
  if (value === null || value === undefined) {
    return [];
  }
  return Array.from(value as ArrayLike<unknown>, (v) => (v === null || v === undefined ? '' : String(v)));
}

function toRewards(value: unknown): Record<string, number | null> {
  const rewards: Record<string, number | null> = {};
  if (typeof value === 'object' && value !== null) {
    for (const [name, v] of Object.entries(value)) {
      rewards[name] = toNumber(v);
    }
  }
  return rewards;
}

function parseExtras(path: string, row: number, value: unknown): Record<string, unknown> {
  if (value === null || value === undefined || value === '') {
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(String(value));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
  } catch {
    return { unparsed: String(value), error: `${baseName(path)} row ${row}: extras is not valid JSON` };
  }
}

function mean(values: number[]): number | null {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (Number.isFinite(v)) {
      sum += v;
      n++;
    }
  }
  return n > 0 ? sum / n : null;
}

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
