// Messages between the Compare Checkpoints panel's host side and its app (webview/compare/).

import type { CrossScore, CrossScorePair, EvalManifest, EvalProblem, EvalSample, EvalSummary } from '../../evals/evalTypes';

export type { CrossScore, CrossScorePair, EvalManifest, EvalProblem, EvalSample, EvalSummary };

export const COMPARE_VIEW_TYPE = 'rlstudio.compare';

export type MatrixFilter = 'all' | 'regressed' | 'improved' | 'shrink' | 'expansion' | 'never';
export type SampleMeasure = 'entropy' | 'probability' | 'deltaLogprob';

/** What the panel shows; persisted with setState so a reloaded panel comes back the same. */
export interface CompareState {
  runId: string | null;
  /** The run's folder: a restored panel reads it before the run store has scanned, and tells when it is gone. */
  runDir: string | null;
  evalId: string | null;
  /** The checkpoint deltas are taken against (default: base). */
  reference: string | null;
  /** The checkpoint the prompt filters compare with the reference (default: the last one). */
  target: string | null;
  filter: MatrixFilter;
  search: string;
  sort: { column: string; descending: boolean };
  promptId: number | null;
  measure: SampleMeasure;
}

export const DEFAULT_COMPARE_STATE: CompareState = {
  runId: null,
  runDir: null,
  evalId: null,
  reference: null,
  target: null,
  filter: 'all',
  search: '',
  sort: { column: 'prompt', descending: false },
  promptId: null,
  measure: 'entropy',
};

/** A prompt as the matrix lists it: the start of its text. */
export interface PromptRow {
  promptId: number;
  preview: string;
  answer: string | null;
}

export interface EvalView {
  manifest: EvalManifest;
  summary: EvalSummary | null;
  prompts: PromptRow[];
  crossScores: CrossScorePair[];
}

/** Everything the panel shows of a run's evals: sent whole whenever something changed. */
export interface CompareSnapshot {
  runId: string;
  runDir: string;
  runName: string;
  /** The run's folder no longer exists. */
  runMissing: boolean;
  evals: EvalManifest[];
  /** The eval shown (state.evalId, else the newest), with its summary and prompts. */
  view: EvalView | null;
  problems: EvalProblem[];
  /** Evals may be started here (trusted workspace, run present). */
  canStart: boolean;
}

/** One prompt's samples from every checkpoint (and cross-scores where they exist). */
export interface PromptDetail {
  promptId: number;
  prompt: string;
  answer: string | null;
  samples: Record<string, EvalSample[]>;
  /** Keyed `${checkpoint} ${scorer}`. */
  crossScores: Record<string, CrossScore[]>;
  /** Files that could not be read, with why. */
  errors: string[];
}

export interface CompareProtocol {
  commands: {
    'compare/eval/select': { evalId: string };
    /** "New Evaluation…": the host asks for checkpoints and samples, then starts `rlstudio eval`. */
    'compare/eval/new': Record<string, never>;
    'compare/eval/stop': { evalId: string };
    /** Run `rlstudio score`: `checkpoint`'s samples under `scorer` (for the Δlogprob view). */
    'compare/eval/score': { evalId: string; checkpoint: string; scorer: string };
    /** "Open in Editor" on a sample card: the sample as a rollout document. */
    'compare/sample/open': { evalId: string; checkpoint: string; promptId: number; sample: number };
    'compare/log/error': { message: string };
  };
  requests: {
    'compare/prompt/get': { params: { runId: string; evalId: string; promptId: number }; result: PromptDetail };
  };
  notifications: {
    'compare/snapshot/didChange': CompareSnapshot;
  };
}

/** First state inlined into the page. */
export interface CompareInit {
  state: CompareState;
  snapshot: CompareSnapshot | null;
}
