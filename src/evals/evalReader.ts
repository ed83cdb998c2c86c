// Reader for evaluations, <run>/evals/<eval-id>/ (docs/run-format.md, "Evaluations"). Lists a run's
// evals, reads an eval's manifest, summary and prompts, and one prompt's samples from a checkpoint's
// Parquet file by column projection (the sample rows of that prompt only, their row groups only).
// Missing files are normal while an eval runs; a file that cannot be read is named with the reason
// and the rest is still returned. No `vscode` import.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import type { FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { JsonlTail } from '../runs/jsonlTail';
import { withFile } from '../runs/shardFile';
import { toNumber } from '../runs/rolloutValues';
import {
  CROSS_SCORE_COLUMNS,
  SAMPLE_COLUMNS,
  SAMPLE_JUDGED_COLUMN,
  SAMPLE_KEY_COLUMNS,
  SAMPLE_OPTIONAL_COLUMNS,
  evalPaths,
  isSafeName,
  parseCrossScoreName,
  runPaths,
  toRow,
} from '../runs/runFormat';
import { normalizeManifest, normalizeSummary } from './evalManifest';
import type { CrossScore, CrossScorePair, EvalManifest, EvalProblem, EvalPrompt, EvalSample, EvalSummary } from './evalTypes';

export interface EvalListing {
  evals: EvalManifest[];
  problems: EvalProblem[];
}

/** The evals of a run, newest first. A folder without eval.json yet is skipped (the eval is starting). */
export async function listEvals(runDir: string): Promise<EvalListing> {
  const root = runPaths(runDir).evals;
  let names: string[];
  try {
    names = (await fs.readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() && isSafeName(e.name)).map((e) => e.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { evals: [], problems: [] };
    return { evals: [], problems: [{ file: root, message: errorMessage(error) }] };
  }
  const evals: EvalManifest[] = [];
  const problems: EvalProblem[] = [];
  for (const name of names.sort().reverse()) {
    const result = await readManifest(evalPaths(runDir, name));
    if (result.manifest) evals.push(result.manifest);
    if (result.problem) problems.push(result.problem);
  }
  return { evals, problems };
}

/** `evalPaths(runDir, evalId)`: where an eval's files are. */
export type EvalPaths = ReturnType<typeof evalPaths>;

export async function readManifest(paths: EvalPaths): Promise<{ manifest?: EvalManifest; problem?: EvalProblem }> {
  const file = paths.manifest;
  const raw = await readJson(file);
  if (raw.missing) return {};
  if (raw.problem) return { problem: raw.problem };
  try {
    return { manifest: normalizeManifest(path.basename(paths.dir), raw.value) };
  } catch (error) {
    return { problem: { file, message: errorMessage(error) } };
  }
}

export interface EvalContents {
  manifest: EvalManifest | null;
  /** null until the first checkpoint is done. */
  summary: EvalSummary | null;
  prompts: EvalPrompt[];
  crossScores: CrossScorePair[];
  problems: EvalProblem[];
}

/** Everything of an eval but its samples. */
export async function readEval(paths: EvalPaths): Promise<EvalContents> {
  const problems: EvalProblem[] = [];
  const { manifest, problem } = await readManifest(paths);
  if (problem) problems.push(problem);
  let summary: EvalSummary | null = null;
  const rawSummary = await readJson(paths.summary);
  if (rawSummary.problem) problems.push(rawSummary.problem);
  else if (!rawSummary.missing) {
    try {
      summary = normalizeSummary(rawSummary.value);
    } catch (error) {
      problems.push({ file: paths.summary, message: errorMessage(error) });
    }
  }
  const prompts = await readPrompts(paths.prompts, problems);
  let crossScores: CrossScorePair[] = [];
  try {
    crossScores = (await fs.readdir(paths.dir)).map(parseCrossScoreName).filter((p): p is CrossScorePair => p !== undefined);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') problems.push({ file: paths.dir, message: errorMessage(error) });
  }
  return { manifest: manifest ?? null, summary, prompts, crossScores, problems };
}

async function readPrompts(file: string, problems: EvalProblem[]): Promise<EvalPrompt[]> {
  const tail = new JsonlTail(file);
  const prompts: EvalPrompt[] = [];
  for (let more = true; more; ) {
    let batch;
    try {
      batch = await tail.read();
    } catch (error) {
      problems.push({ file, message: errorMessage(error) });
      break;
    }
    more = batch.more;
    for (const bad of batch.bad) problems.push({ file, line: bad.line, message: `not JSON: ${bad.message}` });
    for (const row of batch.rows) {
      const r = (row ?? {}) as Record<string, unknown>;
      if (!Number.isInteger(r.prompt_id) || typeof r.prompt !== 'string') {
        problems.push({ file, line: prompts.length + 1, message: "a line needs an integer 'prompt_id' and a string 'prompt'" });
        continue;
      }
      prompts.push({ promptId: r.prompt_id as number, prompt: r.prompt, answer: r.answer == null ? null : String(r.answer) });
    }
  }
  return prompts;
}

type JsonResult = { value?: unknown; missing?: true; problem?: EvalProblem };

/** A JSON file: absent is not a problem; empty or cut off is named as such (the writer renames atomically). */
async function readJson(file: string): Promise<JsonResult> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { missing: true };
    return { problem: { file, message: errorMessage(error) } };
  }
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    const reason = text.trim() === '' ? 'the file is empty' : `not valid JSON (${errorMessage(error)})`;
    return { problem: { file, message: reason } };
  }
}

// --- samples ------------------------------------------------------------------------------------

interface OpenFile {
  stamp: string;
  size: number;
  metadata: FileMetaData;
  columns: Set<string>;
  /** prompt_id of every row, read once per file version. */
  promptIds?: Int32Array;
}

export class EvalFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'EvalFileError';
  }
}

/** Reads sample and cross-score files; keeps the footers and prompt ids of the last `maxFiles` files. */
export class EvalSampleReader {
  private readonly files = new Map<string, Promise<OpenFile>>();
  constructor(private readonly maxFiles = 8) {}

  /** One prompt's samples from a checkpoint, by sample_index. */
  async readSamples(paths: EvalPaths, checkpoint: string, promptId: number): Promise<EvalSample[]> {
    const file = paths.samples(checkpoint);
    const required = [...SAMPLE_KEY_COLUMNS, ...SAMPLE_COLUMNS, SAMPLE_JUDGED_COLUMN];
    const open = await this.open(file, required);
    const optional = SAMPLE_OPTIONAL_COLUMNS.filter((c) => open.columns.has(c));
    const rows = await this.rowsOf(file, open, promptId, [...required, ...optional]);
    const columns = [...SAMPLE_COLUMNS, ...SAMPLE_OPTIONAL_COLUMNS];
    return rows
      .map(({ raw, row }): EvalSample => ({ ...toRow(raw, columns, file, row), promptId, sampleIndex: Number(raw.sample_index), correct: raw[SAMPLE_JUDGED_COLUMN] === true }))
      .sort((a, b) => a.sampleIndex - b.sampleIndex);
  }

  /** One prompt's cross-scores: `checkpoint`'s samples as `scorer` scores them; [] without the file. */
  async readCrossScores(paths: EvalPaths, checkpoint: string, scorer: string, promptId: number): Promise<CrossScore[]> {
    const file = paths.crossScores(checkpoint, scorer);
    const columns = [...SAMPLE_KEY_COLUMNS, ...CROSS_SCORE_COLUMNS];
    const open = await this.open(file, columns);
    const rows = await this.rowsOf(file, open, promptId, columns);
    return rows
      .map(({ raw, row }): CrossScore => ({ ...toRow(raw, CROSS_SCORE_COLUMNS, file, row), promptId, sampleIndex: Number(raw.sample_index) }))
      .sort((a, b) => a.sampleIndex - b.sampleIndex);
  }

  /**
   * The rows of one prompt. Row groups whose prompt_id statistics (min/max, written by the trainer)
   * exclude it are skipped without reading anything; without statistics, the prompt_id column of the
   * whole file is read once per file version. Then only the row range holding the prompt is read.
   */
  private async rowsOf(file: string, open: OpenFile, promptId: number, columns: string[]): Promise<{ raw: Record<string, unknown>; row: number }[]> {
    const fromStatistics = rangeFromStatistics(open.metadata, promptId);
    const range = fromStatistics === undefined ? await this.rangeFromColumn(file, open, promptId) : fromStatistics;
    if (!range) return [];
    const rows = await this.read(file, open, columns, range.start, range.end);
    return rows.map((raw, i) => ({ raw, row: range.start + i })).filter(({ raw }) => toNumber(raw.prompt_id) === promptId);
  }

  private async rangeFromColumn(file: string, open: OpenFile, promptId: number): Promise<{ start: number; end: number } | undefined> {
    if (!open.promptIds) {
      const ids = await this.read(file, open, ['prompt_id']);
      open.promptIds = Int32Array.from(ids, (r) => toNumber(r.prompt_id) ?? -1);
    }
    const start = open.promptIds.indexOf(promptId);
    return start < 0 ? undefined : { start, end: open.promptIds.lastIndexOf(promptId) + 1 };
  }

  /** Parses the footers of an eval's files now, so that the first prompt opened costs only its rows. */
  async prefetch(paths: EvalPaths, checkpoints: readonly string[], crossScores: readonly CrossScorePair[]): Promise<void> {
    const files = [...checkpoints.map((c) => paths.samples(c)), ...crossScores.map((p) => paths.crossScores(p.checkpoint, p.scorer))];
    for (const file of files) await this.cached(file).catch(() => undefined);
  }

  private async read(file: string, open: OpenFile, columns: string[], rowStart?: number, rowEnd?: number): Promise<Record<string, unknown>[]> {
    try {
      return await withFile(file, open.size, async (buffer) => (await parquetReadObjects({ file: buffer, metadata: open.metadata, columns, rowStart, rowEnd, compressors })) as Record<string, unknown>[]);
    } catch (error) {
      throw new EvalFileError(file, `cannot read columns ${columns.join(', ')}: ${errorMessage(error)}`);
    }
  }

  private async open(file: string, required: readonly string[]): Promise<OpenFile> {
    const open = await this.cached(file);
    const missing = required.filter((c) => !open.columns.has(c));
    if (missing.length > 0) throw new EvalFileError(file, `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
    return open;
  }

  /** A file's parsed footer, parsed again only when the file changed (most recently used last). */
  private async cached(file: string): Promise<OpenFile> {
    let info;
    try {
      info = await fs.stat(file);
    } catch (error) {
      throw new EvalFileError(file, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (not evaluated yet?)' : errorMessage(error));
    }
    const stamp = `${info.mtimeMs}:${info.size}`;
    const cached = this.files.get(file);
    if (cached) {
      const known = await cached.catch(() => undefined);
      if (known?.stamp === stamp) {
        this.files.delete(file);
        this.files.set(file, cached);
        return known;
      }
    }
    const loading = this.load(file, stamp, info.size);
    this.files.delete(file);
    this.files.set(file, loading);
    loading.catch(() => this.files.get(file) === loading && this.files.delete(file));
    while (this.files.size > this.maxFiles) this.files.delete(this.files.keys().next().value as string);
    return loading;
  }

  private async load(file: string, stamp: string, size: number): Promise<OpenFile> {
    let metadata: FileMetaData;
    try {
      metadata = await withFile(file, size, (buffer) => parquetMetadataAsync(buffer));
    } catch (error) {
      throw new EvalFileError(file, `not a readable Parquet file: ${errorMessage(error)}`);
    }
    return { stamp, size, metadata, columns: new Set(parquetSchema(metadata).children.map((c) => c.element.name)) };
  }
}

/** The rows [start, end) of the row groups whose prompt_id min/max admit `promptId`; undefined without statistics. */
export function rangeFromStatistics(metadata: FileMetaData, promptId: number): { start: number; end: number } | undefined | null {
  let offset = 0;
  let start = -1;
  let end = -1;
  for (const group of metadata.row_groups) {
    const stats = group.columns.find((c) => c.meta_data?.path_in_schema.join('.') === 'prompt_id')?.meta_data?.statistics;
    const min = toNumber(stats?.min_value ?? stats?.min);
    const max = toNumber(stats?.max_value ?? stats?.max);
    if (min === null || max === null) return undefined;
    const rows = Number(group.num_rows);
    if (min <= promptId && promptId <= max) {
      if (start < 0) start = offset;
      end = offset + rows;
    }
    offset += rows;
  }
  return start < 0 ? null : { start, end };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
