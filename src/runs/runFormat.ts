// The run format v1 (docs/run-format.md) as the extension knows it: the one place that names a run
// directory's files, builds and parses shard names, lists the rollout columns and maps a shard row
// (snake_case columns) to the camelCase values the reader returns. Everything else imports this.
// The Python side's counterpart is the trainer's own format module. Pure: no `vscode`, no I/O.

import * as path from 'node:path';
import { RUN_STATUSES, type RunErrorInfo, type RunManifest, type RunStatus } from './model';
import type { RolloutDetail } from './rolloutTypes';
import { parseExtras, toNumber, toNumbers, toRewards, toStrings } from './rolloutValues';

/** `format` in run.json and the `rlstudio.format` key-value metadata of every shard. */
export const RUN_FORMAT = 'rlstudio.run/1';
export const SHARD_FORMAT_KEY = 'rlstudio.format';

// --- paths ------------------------------------------------------------------------------------

/** Names inside a run directory. */
export const RUN_FILES = {
  manifest: 'run.json',
  events: 'events.jsonl',
  metrics: 'metrics.jsonl',
  rollouts: 'rollouts',
  /** Inside rollouts/: which prompts each shard holds (optional). */
  promptIndex: 'prompts.jsonl',
  checkpoints: 'checkpoints',
  control: 'control',
  logs: 'logs',
  evals: 'evals',
  /** ONNX exports (`rlstudio export-onnx`): onnx/<checkpoint-N|base>[-int8]/. */
  onnx: 'onnx',
  /** Inside onnx/<name>/, written last: a folder without it is an interrupted export. */
  exportManifest: 'export.json',
  /** Prompts chosen per round by difficulty-targeted selection (optional; docs/data-efficiency.md). */
  selection: 'selection.jsonl',
} as const;

/** Files under logs/: the spawner's redirections, then the trainer's own log. */
export const LOG_FILES = ['stdout.log', 'stderr.log', 'trainer.log'] as const;
export type LogFile = (typeof LOG_FILES)[number];

/** Request files under control/ (extension → trainer). */
export type ControlRequest = 'stop' | 'save';

/** The default folder of a workspace's runs: `<folder>/.rlstudio/runs`. */
export function runsRoot(folder: string): string {
  return path.join(folder, '.rlstudio', 'runs');
}

/** Absolute paths of one run directory's files. */
export function runPaths(dir: string) {
  return {
    manifest: path.join(dir, RUN_FILES.manifest),
    events: path.join(dir, RUN_FILES.events),
    metrics: path.join(dir, RUN_FILES.metrics),
    rollouts: path.join(dir, RUN_FILES.rollouts),
    promptIndex: path.join(dir, RUN_FILES.rollouts, RUN_FILES.promptIndex),
    checkpoints: path.join(dir, RUN_FILES.checkpoints),
    control: path.join(dir, RUN_FILES.control),
    logs: path.join(dir, RUN_FILES.logs),
    evals: path.join(dir, RUN_FILES.evals),
    onnx: path.join(dir, RUN_FILES.onnx),
    selection: path.join(dir, RUN_FILES.selection),
    log: (file: LogFile) => path.join(dir, RUN_FILES.logs, file),
    controlFile: (request: ControlRequest) => path.join(dir, RUN_FILES.control, request),
    shard: (step: number) => path.join(dir, RUN_FILES.rollouts, shardFileName(step)),
  };
}

// --- file names -------------------------------------------------------------------------------

/** `step-00000042.parquet`: the step zero-padded to 8 digits (more past 99,999,999, as the trainer's `{step:08d}`). */
const SHARD_FILE = /^step-(\d{8,})\.parquet$/;
const CHECKPOINT_DIR = /^checkpoint-(\d+)$/;

export function shardFileName(step: number): string {
  return `step-${String(step).padStart(8, '0')}.parquet`;
}

/** The step of a shard file name, or undefined if the name is not one (atomic-write temporaries are not). */
export function stepOfShard(name: string): number | undefined {
  const match = SHARD_FILE.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** The step of a `checkpoint-<step>` folder name, or undefined. */
export function stepOfCheckpoint(name: string): number | undefined {
  const match = CHECKPOINT_DIR.exec(name);
  return match ? Number(match[1]) : undefined;
}

// --- metrics.jsonl ----------------------------------------------------------------------------

/** How metrics.jsonl writes a non-finite number (JSON has none); null is a missing value. */
export const NON_FINITE = ['NaN', 'Infinity', '-Infinity'] as const;

/** A metric value that is a non-finite number (not a missing one). */
export function isNonFinite(value: unknown): boolean {
  return (typeof value === 'number' && !Number.isFinite(value)) || (typeof value === 'string' && (NON_FINITE as readonly string[]).includes(value));
}

// --- rollout shard columns --------------------------------------------------------------------

/** A row as the reader returns it: every column, camelCase (the per-row summaries null where a shard lacks them). */
export type RolloutRow = Omit<RolloutDetail, 'row'> & {
  completionTokens: number | null;
  meanEntropy: number | null;
  preview: string | null;
};

/** Each column of a shard and the field of a row it becomes. */
export const COLUMNS = {
  step: 'step',
  prompt_index: 'promptIndex',
  group_index: 'groupIndex',
  prompt: 'prompt',
  completion: 'completion',
  token_ids: 'tokenIds',
  tokens: 'tokens',
  logprobs: 'logprobs',
  entropies: 'entropies',
  loss_mask: 'lossMask',
  advantage: 'advantage',
  reward: 'reward',
  rewards: 'rewards',
  truncated: 'truncated',
  hint_ids: 'hintIds',
  reward_error: 'rewardError',
  extras: 'extras',
  entropy_threshold: 'entropyThreshold',
  dataset_index: 'datasetIndex',
  completion_tokens: 'completionTokens',
  mean_entropy: 'meanEntropy',
  preview: 'preview',
  replayed: 'replayed',
  age: 'age',
  // DPO runs' preference shards only (docs/run-format.md, "DPO runs: preference shards").
  role: 'role',
  ref_logprobs: 'refLogprobs',
  implicit_rewards: 'implicitRewards',
} as const satisfies Record<string, keyof RolloutRow>;

export type Column = keyof typeof COLUMNS;
export type RowOf<C extends Column> = Pick<RolloutRow, (typeof COLUMNS)[C]>;

/** Columns every shard has; the others (`hint_ids`, `reward_error`, `extras`, `entropy_threshold`, `dataset_index`,
 * the summaries, the replay columns, and the preference columns of DPO runs) are optional. */
export const REQUIRED_COLUMNS = [
  'step', 'prompt_index', 'group_index', 'prompt', 'completion', 'token_ids', 'tokens', 'logprobs', 'entropies',
  'loss_mask', 'advantage', 'reward', 'rewards', 'truncated',
] as const satisfies readonly Column[];

/**
 * Per-row summaries the trainer writes so that a list reads only scalars; shards written before them
 * lack them (compute them from `token_ids`/`entropies`/`completion` there).
 */
export const SUMMARY_COLUMNS = ['completion_tokens', 'mean_entropy', 'preview'] as const satisfies readonly Column[];

/**
 * Rollout replay: whether a row was replayed from the buffer instead of generated for this step, and
 * its age (steps between its generation and this step). Shards written before them lack them: their
 * rows are fresh (`replayed` false, `age` 0), which is how a missing or null value reads.
 */
export const REPLAY_COLUMNS = ['replayed', 'age'] as const satisfies readonly Column[];

/** `preview` holds the first this many characters (Unicode code points) of `completion`. */
export const PREVIEW_CHARS = 160;

/** `preview` of a shard that lacks the column: the first PREVIEW_CHARS code points of the completion. */
export function previewOf(completion: string): string {
  let end = 0;
  for (let n = 0; n < PREVIEW_CHARS && end < completion.length; n++) {
    end += (completion.codePointAt(end) ?? 0) > 0xffff ? 2 : 1;
  }
  return completion.slice(0, end);
}

/** How a missing optional column reads (as does a null in a nullable one). */
const CONVERT: { [C in Column]: (value: unknown, file: string, row: number) => RolloutRow[(typeof COLUMNS)[C]] } = {
  step: Number,
  prompt_index: Number,
  group_index: Number,
  prompt: (v) => String(v ?? ''),
  completion: (v) => String(v ?? ''),
  token_ids: toNumbers,
  tokens: toStrings,
  logprobs: toNumbers,
  entropies: toNumbers,
  loss_mask: toNumbers,
  advantage: toNumber,
  reward: toNumber,
  rewards: toRewards,
  truncated: Boolean,
  hint_ids: toStrings,
  reward_error: (v) => (v == null ? null : String(v)),
  extras: (v, file, row) => parseExtras(file, row, v),
  entropy_threshold: toNumber,
  dataset_index: toNumber,
  completion_tokens: toNumber,
  mean_entropy: toNumber,
  preview: (v) => (v == null ? null : String(v)),
  replayed: (v) => v === true,
  age: (v) => (v == null ? 0 : Number(v)),
  role: (v) => (v == null ? null : String(v)),
  ref_logprobs: (v) => (v == null ? null : toNumbers(v)),
  implicit_rewards: (v) => (v == null ? null : toNumbers(v)),
};

/**
 * The one snake_case → camelCase mapping of a shard row: the fields of `columns`, converted
 * (Parquet int64 arrives as bigint, lists as arrays, structs as objects, extras as JSON text).
 * `file` and `row` name the row in errors.
 */
export function toRow<C extends Column>(raw: Record<string, unknown>, columns: readonly C[], file: string, row: number): RowOf<C> {
  const out: Record<string, unknown> = {};
  for (const column of columns) {
    out[COLUMNS[column]] = CONVERT[column](raw[column], file, row);
  }
  return out as RowOf<C>;
}

// --- evaluations: <run>/evals/<eval-id>/ (written by `rlstudio eval`) -------------------------------

export const EVAL_FORMAT = 'rlstudio.eval/1';
export const EVAL_SUMMARY_FORMAT = 'rlstudio.eval-summary/1';

/** Names inside an eval folder (besides `<checkpoint>.parquet` and `<checkpoint>.scored-by-<other>.parquet`). */
export const EVAL_FILES = {
  manifest: 'eval.json',
  summary: 'summary.json',
  prompts: 'prompts.jsonl',
  logs: 'logs',
} as const;

/** The rollout shard columns an eval's sample file shares (same names, types and row mapping). */
export const SAMPLE_COLUMNS = ['prompt', 'completion', 'token_ids', 'tokens', 'logprobs', 'entropies', 'reward', 'rewards', 'truncated'] as const satisfies readonly Column[];
/** Shared and optional: the first reward function error of the sample. */
export const SAMPLE_OPTIONAL_COLUMNS = ['reward_error'] as const satisfies readonly Column[];
/** The sample file's own columns: prompt_id and sample_index (int32) locate a sample, correct (bool) judges it. */
export const SAMPLE_KEY_COLUMNS = ['prompt_id', 'sample_index'] as const;
export const SAMPLE_JUDGED_COLUMN = 'correct';
/** A cross-score file: the keys, then the shard's token columns as the other checkpoint scores them. */
export const CROSS_SCORE_COLUMNS = ['token_ids', 'logprobs', 'entropies'] as const satisfies readonly Column[];

/** Eval ids and checkpoint names become file names: these characters only, never '.' or '..' or a temporary. */
const SAFE_NAME = /^(?!\.{1,2}$)[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name) && !isTemporary(name);
}

/** Absolute paths of one eval's files; throws on an eval id or checkpoint name that is not a safe file name. */
export function evalPaths(runDir: string, evalId: string) {
  if (!isSafeName(evalId)) throw new Error(`'${evalId}' is not an eval id (letters, digits, '.', '_' and '-' only)`);
  const dir = path.join(runDir, RUN_FILES.evals, evalId);
  return {
    dir,
    manifest: path.join(dir, EVAL_FILES.manifest),
    summary: path.join(dir, EVAL_FILES.summary),
    prompts: path.join(dir, EVAL_FILES.prompts),
    logs: path.join(dir, EVAL_FILES.logs),
    /** The stop request `rlstudio eval` checks between two batches. */
    stop: path.join(dir, RUN_FILES.control, 'stop' satisfies ControlRequest),
    samples: (checkpoint: string) => path.join(dir, `${safe(checkpoint)}.parquet`),
    crossScores: (checkpoint: string, scorer: string) => path.join(dir, `${safe(checkpoint)}.scored-by-${safe(scorer)}.parquet`),
  };
}

function safe(name: string): string {
  if (!isSafeName(name)) throw new Error(`'${name}' is not a checkpoint name`);
  return name;
}

/** The (checkpoint, scorer) of a cross-score file name, or undefined. */
export function parseCrossScoreName(name: string): { checkpoint: string; scorer: string } | undefined {
  const match = /^(.+)\.scored-by-(.+)\.parquet$/.exec(name);
  if (!match || !isSafeName(match[1]) || !isSafeName(match[2])) return undefined;
  return { checkpoint: match[1], scorer: match[2] };
}

// --- reader rules -----------------------------------------------------------------------------

/** Atomic-write temporaries (`.name….tmp`) are never read. */
export function isTemporary(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

/** run.json read as the format allows: the manifest (fields of the wrong type defaulted), and what was wrong. */
export interface ManifestRead {
  /** undefined when the file cannot stand for a run's state (not an object, or no valid `status`). */
  manifest: RunManifest | undefined;
  /** One line per field that is missing or of the wrong type, naming the field. */
  problems: string[];
}

/**
 * Validates run.json field by field (it is untrusted input: a hand-edited or foreign file must not
 * break the views that show it). A field that is missing or of the wrong type takes its default and
 * is reported; only a missing or unknown `status` makes the manifest unusable.
 */
export function parseManifest(value: unknown, id: string): ManifestRead {
  const file = RUN_FILES.manifest;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { manifest: undefined, problems: [`${file} is not a JSON object`] };
  const v = value as Record<string, unknown>;
  if (!RUN_STATUSES.includes(v.status as never)) {
    return { manifest: undefined, problems: [`${file}: field "status" must be one of ${RUN_STATUSES.join(', ')} (found ${JSON.stringify(v.status) ?? 'nothing'})`] };
  }
  const problems: string[] = [];
  const field = <T>(name: string, ok: (x: unknown) => boolean, fallback: T, kind: string): T => {
    if (ok(v[name])) return v[name] as T;
    problems.push(`${file}: field "${name}" ${name in v ? `must be ${kind}` : 'is missing'}`);
    return fallback;
  };
  const string = (x: unknown) => typeof x === 'string';
  const stringOrNull = (x: unknown) => x === null || typeof x === 'string';
  const number = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  const object = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x);
  const error = (x: unknown) => x === null || (object(x) && ['type', 'message'].every((k) => string((x as Record<string, unknown>)[k])));
  const resumed = (x: unknown) => x === null || x === undefined || (object(x) && number((x as Record<string, unknown>).step));
  const manifest: RunManifest = {
    format: field('format', string, RUN_FORMAT, 'a string'),
    id: field('id', string, id, 'a string'),
    name: field('name', string, id, 'a string'),
    createdAt: field('createdAt', string, '', 'an ISO date string'),
    updatedAt: field('updatedAt', string, '', 'an ISO date string'),
    status: v.status as RunStatus,
    endedAt: field('endedAt', (x) => x === undefined || stringOrNull(x), null, 'an ISO date string or null') ?? null,
    error: errorInfo(field('error', (x) => x === undefined || error(x), null, 'null or {type, message, traceback}')),
    pid: field('pid', number, -1, 'a number'),
    host: field('host', string, '', 'a string'),
    algorithm: field('algorithm', string, 'grpo', 'a string'),
    model: field('model', string, '', 'a string'),
    maxSteps: field('maxSteps', number, 0, 'a number'),
    configPath: field('configPath', (x) => x === undefined || stringOrNull(x), null, 'a string or null') ?? null,
    config: field('config', object, {}, 'an object'),
    versions: field('versions', (x) => x === undefined || object(x), {}, 'an object') ?? {},
    resumedFrom: field('resumedFrom', resumed, null, 'null or {step, checkpoint}') ?? null,
  };
  return { manifest, problems };
}

function errorInfo(value: unknown): RunErrorInfo | null {
  if (value === null || value === undefined) return null;
  const e = value as Record<string, unknown>;
  return { type: String(e.type), message: String(e.message), traceback: typeof e.traceback === 'string' ? e.traceback : '' };
}
