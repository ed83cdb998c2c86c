// Where `rlstudio eval` writes (docs/run-format.md, "Evaluations"): paths, file names and the
// columns the sample files add to the rollout shard's. The one place the TypeScript side names them.

import * as path from 'node:path';

export const EVAL_FORMAT = 'rlstudio.eval/1';
export const EVAL_SUMMARY_FORMAT = 'rlstudio.eval-summary/1';
export const EVALS_DIR = 'evals';
export const EVAL_MANIFEST = 'eval.json';
export const EVAL_SUMMARY = 'summary.json';
export const EVAL_PROMPTS = 'prompts.jsonl';

/** Columns of <checkpoint>.parquet besides the rollout shard's completion columns. */
export const SAMPLE_KEY_COLUMNS = ['prompt_id', 'sample_index'] as const;
export const SAMPLE_EXTRA_COLUMNS = ['correct'] as const;
/** Optional: the first reward function error of the sample. */
export const SAMPLE_OPTIONAL_COLUMNS = ['reward_error'] as const;
export const CROSS_SCORE_COLUMNS = ['prompt_id', 'sample_index', 'token_ids', 'logprobs', 'entropies'] as const;

/** Eval ids and checkpoint names become file names: only these characters, never '.' or '..'. */
const SAFE_NAME = /^(?!\.{1,2}$)[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name) && !name.endsWith('.tmp');
}

export function evalsDir(runDir: string): string {
  return path.join(runDir, EVALS_DIR);
}

export function evalDir(runDir: string, evalId: string): string {
  if (!isSafeName(evalId)) throw new Error(`'${evalId}' is not an eval id (letters, digits, '.', '_' and '-' only)`);
  return path.join(runDir, EVALS_DIR, evalId);
}

export function samplesFile(dir: string, checkpoint: string): string {
  if (!isSafeName(checkpoint)) throw new Error(`'${checkpoint}' is not a checkpoint name`);
  return path.join(dir, `${checkpoint}.parquet`);
}

export function crossScoreFile(dir: string, checkpoint: string, scorer: string): string {
  if (!isSafeName(checkpoint) || !isSafeName(scorer)) throw new Error(`'${checkpoint}' scored by '${scorer}' is not a pair of checkpoint names`);
  return path.join(dir, `${checkpoint}.scored-by-${scorer}.parquet`);
}

/** The (checkpoint, scorer) of a cross-score file name, or undefined. */
export function parseCrossScoreName(name: string): { checkpoint: string; scorer: string } | undefined {
  const match = /^(.+)\.scored-by-(.+)\.parquet$/.exec(name);
  if (!match || !isSafeName(match[1]) || !isSafeName(match[2])) return undefined;
  return { checkpoint: match[1], scorer: match[2] };
}

/** The control file that asks a running eval to stop after its current batch. */
export function evalStopFile(dir: string): string {
  return path.join(dir, 'control', 'stop');
}
