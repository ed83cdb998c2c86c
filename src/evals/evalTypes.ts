// What the eval reader (evalReader.ts) returns: the files `rlstudio eval` writes into
// <run>/evals/<eval-id>/ (docs/run-format.md, "Evaluations"). Types only: the Compare Checkpoints
// app imports them through its protocol and must not pull in Node code.

import type { RolloutDetail } from '../runs/rolloutTypes';

export type EvalStatus = 'running' | 'completed' | 'failed' | 'stopped';
export type CheckpointEvalStatus = 'pending' | 'running' | 'done' | 'failed';

export interface EvalCheckpoint {
  name: string;
  status: CheckpointEvalStatus;
  samplesDone: number;
  samplesTotal: number;
  error: string | null;
}

/** eval.json, normalised: missing fields get neutral values, unknown fields are dropped. */
export interface EvalManifest {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  status: EvalStatus;
  endedAt: string | null;
  error: string | null;
  pid: number | null;
  host: string | null;
  params: { samples: number | null; temperature: number | null; maxNewTokens: number | null; seed: number | null; prompts: number | null; k: number[] };
  /** promptSource.detail, else a description made from its fields. */
  promptSource: string;
  passWhen: { reward: string; atLeast: number; chosenBy: string } | null;
  rewardNames: string[];
  checkpoints: EvalCheckpoint[];
}

export interface CheckpointSummary {
  n: number;
  prompts: number;
  passAtK: Record<string, number>;
  meanReward: Record<string, number | null>;
  meanLength: number | null;
  meanEntropy: number | null;
  truncationRate: number | null;
  rewardErrors: number;
}

export interface PromptCounts {
  promptId: number;
  /** Correct samples per checkpoint. */
  correct: Record<string, number>;
  /** Samples per checkpoint. */
  n: Record<string, number>;
}

/** summary.json. */
export interface EvalSummary {
  k: number[];
  checkpoints: Record<string, CheckpointSummary>;
  prompts: PromptCounts[];
}

/** One line of prompts.jsonl. */
export interface EvalPrompt {
  promptId: number;
  prompt: string;
  answer: string | null;
}

/** One row of <checkpoint>.parquet: the rollout shard's fields for the shared columns (runFormat.ts SAMPLE_COLUMNS), and its own. */
export type EvalSample = Pick<RolloutDetail, 'prompt' | 'completion' | 'tokenIds' | 'tokens' | 'logprobs' | 'entropies' | 'reward' | 'rewards' | 'truncated' | 'rewardError'> & {
  promptId: number;
  sampleIndex: number;
  correct: boolean;
};

/** One row of <checkpoint>.scored-by-<other>.parquet: the sample's tokens as `other` scores them. */
export type CrossScore = Pick<RolloutDetail, 'tokenIds' | 'logprobs' | 'entropies'> & {
  promptId: number;
  sampleIndex: number;
};

/** A cross-score file: `checkpoint`'s samples scored by `scorer`. */
export interface CrossScorePair {
  checkpoint: string;
  scorer: string;
}

/** A file of an eval that could not be read; the rest is still shown. */
export interface EvalProblem {
  file: string;
  line?: number;
  message: string;
}
