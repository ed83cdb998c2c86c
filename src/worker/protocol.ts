// The worker protocol (JSON-RPC 2.0 over stdio, `python -m rlstudio.worker`): one typed definition
// of each method. docs/worker-protocol.md is the prose version; trainer/rlstudio/worker/methods.py
// the Python side. Both are exercised together by test/unit/worker/workerClient.test.ts.

export const WORKER_PROTOCOL = 'rlstudio.worker/1';

export interface ErrorTriple {
  type: string;
  message: string;
  traceback: string;
}

export interface InitializeResult {
  protocol: string;
  pid: number;
  versions: { rlstudio: string; python: string; trl: string | null; transformers: string | null; torch: string | null };
}

/** One completion to score. `columns` are the dataset columns TRL passes as keyword arguments. */
export interface RewardSample {
  prompt: string;
  completion: string;
  columns?: Record<string, unknown>;
}

/** A reward function: a built-in name, `path/file.py:function` or `package.module:function`. */
export interface RewardFunctionSpec {
  name: string;
  ref: string;
  weight?: number;
  args?: Record<string, unknown>;
}

/** A `rewards:` entry of a run config: a function (`ref`) or an exported ONNX reward model (`onnx`). */
export interface RunRewardSpec {
  name: string;
  ref: string | null;
  onnx: string | null;
  weight?: number;
  args?: Record<string, unknown>;
}

export interface RewardsRunParams {
  functions: RewardFunctionSpec[];
  samples: RewardSample[];
  /** Relative `ref` paths resolve against this folder (the run config's folder). */
  baseDir?: string;
  /** Per function: after this many seconds the function is killed and reported as hung. Default 30. */
  timeoutS?: number;
}

export interface RewardFailure {
  indices: number[];
  error: ErrorTriple;
}

export interface FunctionScores {
  name: string;
  ref: string;
  weight: number;
  scores: (number | null)[];
  errors: RewardFailure[];
  extras: Record<string, unknown[]>;
  seconds: number | null;
}

export interface RewardsRunResult {
  functions: FunctionScores[];
  /** Σ weight × score per sample, nulls skipped (TRL's nansum); null when every score is null. */
  total: (number | null)[];
}

export interface RewardsListResult {
  builtins: { name: string; doc: string }[];
  functions: { name: string; line: number; ref: string }[];
}

export interface ProgressValue {
  message: string;
  done: number | null;
  total: number | null;
}

export interface RecordedSample extends RewardSample {
  recorded: { reward: number | null; rewards: Record<string, number | null> };
  promptIndex: number;
  groupIndex: number;
  hintIds: string[];
}

export interface SamplesFromRunResult {
  step: number;
  steps: number[];
  samples: RecordedSample[];
  /** The run config's rewards; relative refs and `onnx` folders resolve against `baseDir`. */
  rewards: RunRewardSpec[];
  baseDir: string;
  /** Rollouts that were given the columns of a dataset row. */
  matched: number;
  warnings: string[];
}

export interface SubsetSearchParams {
  kpFile: string;
  /** A .jsonl/.parquet file with the problems: id, prompt and answer columns. */
  dataFile: string;
  /** A local model folder: a checkpoint or the base model. */
  model: string;
  problems?: string[];
  samples?: number;
  tolerance?: number;
  maxNewTokens?: number;
  temperature?: number;
  seed?: number;
  placement?: 'system' | 'before_problem' | 'after_problem';
  template?: string;
  systemPrompt?: string;
  idColumn?: string;
  promptColumn?: string;
  answerColumn?: string;
  /** Also set each problem's `selected` to the chosen subset in the KP file. */
  apply?: boolean;
}

export interface SubsetEstimate {
  ids: string[];
  pass_rate: number;
  passed: number;
  samples: number;
  stage: 'none' | 'all' | 'leave_one_out' | 'greedy' | 'pair';
}

export interface SubsetProblemResult {
  problem: string;
  target: number;
  chosen: string[];
  chosen_pass_rate: number;
  subsets: SubsetEstimate[];
  interactions: { removed: string[]; alone: number[]; together: number }[];
}

export interface SubsetSearchResult {
  resultsFile: string;
  generated: number;
  problems: SubsetProblemResult[];
}

/** method → params/result. */
export interface WorkerMethods {
  initialize: { params: Record<string, never>; result: InitializeResult };
  shutdown: { params: Record<string, never>; result: null };
  'rewards/list': { params: { file?: string }; result: RewardsListResult };
  'rewards/run': { params: RewardsRunParams; result: RewardsRunResult };
  'samples/fromRun': { params: { runDir: string; step?: number }; result: SamplesFromRunResult };
  'samples/fromDataset': { params: { file: string; limit?: number; completionColumn?: string }; result: { samples: RewardSample[]; warnings: string[] } };
  'hints/subsetSearch': { params: SubsetSearchParams; result: SubsetSearchResult };
  /** `rlstudio pairs`: best vs worst recorded sample per prompt, written as DPO JSONL (docs/run-format.md). */
  'pairs/make': {
    params: { runDir: string; out: string; steps?: string; reward?: string; minMargin?: number };
    result: { out: string; steps: number[]; kept: number; skipped: Record<'unscored' | 'no_variance' | 'same_text' | 'small_margin', number>; summary: string };
  };
  'worker/debug': { params: { sleep?: number; crash?: number }; result: { pid: number; executorRestarts: number } };
}

export type WorkerMethod = keyof WorkerMethods;
