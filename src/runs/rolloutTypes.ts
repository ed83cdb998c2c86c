// What the rollout shard reader (rollouts.ts) returns. Types only: the inspector app imports these
// through its protocol, and must not pull in the reader's Node code.

/** One rollout as a list shows it; no token arrays. */
export interface RolloutSummary {
  /** Row number in the shard: the key to fetch the rollout's tokens. */
  row: number;
  promptIndex: number;
  groupIndex: number;
  reward: number | null;
  rewards: Record<string, number | null>;
  advantage: number | null;
  /** Completion length in tokens. */
  length: number;
  meanEntropy: number | null;
  truncated: boolean;
  rewardError: string | null;
  hintIds: string[];
  /** The start of the completion, for list rows. */
  preview: string;
  /** Rollout replay: taken from the replay buffer, generated `age` steps before this one (false/0: fresh). */
  replayed: boolean;
  age: number;
}

/** One rollout's scores and prompt, for per-prompt numbers (dataset lines, reward code). */
export interface RolloutScore {
  row: number;
  promptIndex: number;
  groupIndex: number;
  prompt: string;
  reward: number | null;
  rewards: Record<string, number | null>;
  advantage: number | null;
  truncated: boolean;
  rewardError: string | null;
  /** Replayed from the buffer (a group generated at an earlier step): not a result of this step. */
  replayed: boolean;
}

export interface StepRollouts {
  step: number;
  file: string;
  /** Prompt text per prompt_index (one GRPO group each). */
  prompts: Record<number, string>;
  rewardNames: string[];
  rollouts: RolloutSummary[];
}

/** Everything about one rollout, token arrays included. */
export interface RolloutDetail {
  step: number;
  row: number;
  promptIndex: number;
  groupIndex: number;
  prompt: string;
  completion: string;
  tokenIds: number[];
  tokens: string[];
  logprobs: number[];
  entropies: number[];
  lossMask: number[];
  advantage: number | null;
  reward: number | null;
  rewards: Record<string, number | null>;
  truncated: boolean;
  hintIds: string[];
  rewardError: string | null;
  extras: Record<string, unknown>;
  /** Forking-mask entropy threshold of the row's micro-batch; null when every token is in the mask. */
  entropyThreshold: number | null;
  /** DPO runs (preference shards): `chosen` | `rejected`, the reference model's per-token logprobs and the
   * per-token implicit reward beta × (logprob − ref logprob); null in GRPO/RLOO shards. */
  role?: string | null;
  refLogprobs?: number[] | null;
  implicitRewards?: number[] | null;
  /** The prompt's source data row (`dataset_index`); null in shards recorded before that column. */
  datasetIndex: number | null;
  /** Replayed from the buffer (generated `age` steps before this step); false and 0 for fresh rows and in shards
   * recorded before rollout replay existed. */
  replayed: boolean;
  age: number;
}

/** Why difficulty-targeted selection chose a prompt for a step (a line of selection.jsonl). */
export interface SelectionChoice {
  /** Estimated normalised reward when chosen; null before anything was observed. */
  estimate: number | null;
  basis: 'observed' | 'predicted' | 'none';
  reason: 'target' | 'explore';
  /** The step's group mean of the normalised reward; null when every reward function failed. */
  observed: number | null;
}

/** A rollout as the inspector opens it: the shard row, plus why its prompt was chosen (if selection was on). */
export interface InspectedRollout extends RolloutDetail {
  selection: SelectionChoice | null;
}

/** The token columns of a whole step, for step statistics. */
export interface StepTokens {
  tokens: string[][];
  entropies: number[][];
  lossMask: number[][];
  entropyThreshold: (number | null)[];
}
