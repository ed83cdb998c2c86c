// The scoring process's JSON-RPC protocol (vscode-jsonrpc over Node IPC): the host (scoringClient.ts)
// and the process (scoringProcess.ts) both import these types.

export const SCORING_PROTOCOL = 'rlstudio.scoring/1';

/** What to score: a text, or a text followed by given token ids (a rollout's prompt + completion). */
export interface ScoreInput {
  text: string;
  /** Appended after the text's tokens as they are (a recorded completion's `token_ids`). */
  appendIds?: number[];
}

export interface ScoreParams {
  /** An export folder (export.json, model.onnx, tokenizer.json). */
  exportDir: string;
  inputs: ScoreInput[];
  /** Logits are divided by it before the log-softmax, as TRL does; default the export's run temperature. */
  temperature?: number;
  /** Window size and overlap in tokens; default WINDOW (capped by the model's context) and OVERLAP. */
  window?: { size: number; overlap: number };
}

export interface Alternative {
  id: number;
  piece: string;
  logprob: number;
}

export interface ScoredToken {
  id: number;
  /** The token decoded on its own (may be part of a multi-byte character). */
  piece: string;
  /** UTF-16 range in the input text; appended ids have start = end = text.length. */
  start: number;
  end: number;
  /** null for the first token: nothing precedes it. */
  logprob: number | null;
  entropy: number | null;
  top: Alternative[];
}

export interface ScoredText {
  tokens: ScoredToken[];
  /** How many windows the text needed (1 when it fits the window). */
  windows: number;
}

export interface ScoreResult {
  results: ScoredText[];
  temperature: number;
  /** Said once per request when a text was windowed, or when the export is quantized. */
  notices: string[];
  /** Milliseconds inside onnxruntime, tokenization excluded. */
  runMs: number;
}

export interface InitializeResult {
  protocol: string;
  pid: number;
  onnxruntime: string;
}

export interface ScoringMethods {
  initialize: { params: Record<string, never>; result: InitializeResult };
  score: { params: ScoreParams; result: ScoreResult };
  /** Tokenizes only: ids and UTF-16 ranges (for tests of the tokenizer and the offsets). */
  tokenize: { params: { exportDir: string; text: string }; result: { ids: number[]; starts: number[]; ends: number[] } };
  /** A sequence-classification (reward model) export's scores, one row of `numLabels` per text. */
  reward: { params: { exportDir: string; texts: string[] }; result: { scores: number[][] } };
  shutdown: { params: Record<string, never>; result: null };
}

export type ScoringMethod = keyof ScoringMethods;
