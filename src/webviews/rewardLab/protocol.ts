// Reward Lab: host ⇄ webview messages. The host sends whole-state snapshots (`lab/state`); the app
// sends commands, and saves what it shows (LabSavedState) for the host to restore after a window
// reload. Type-only: the app imports this file with `import type`.

import type { LabResult } from '../../rewards/labResult';

export type { LabDiff, LabFailure, LabResult } from '../../rewards/labResult';

/** A sample typed into the Lab, whole (it is the user's own text, not a rollout). */
export interface TypedSample {
  prompt: string;
  completion: string;
  /** The `answer` column; '' for none. */
  answer: string;
}

export type LabSource =
  | { kind: 'none' }
  | { kind: 'run'; runDir: string; runName: string; step: number; steps: number[] }
  | { kind: 'dataset'; file: string }
  | { kind: 'text'; samples: TypedSample[] };

export interface LabFunction {
  name: string;
  /** `path.py:function`, a built-in, or `onnx:<folder>` for an ONNX reward model. */
  ref: string;
  /** An ONNX reward model's export folder (absolute): scored in the scoring process, not the worker. */
  onnx?: string;
  weight: number;
  origin: 'builtin' | 'workspace' | 'run';
  enabled: boolean;
}

export interface LabSample {
  /** Excerpts: the host never sends whole prompts into the table. */
  prompt: string;
  completion: string;
  /** Rewards recorded during training (run samples only). */
  recordedTotal: number | null;
  recorded: Record<string, number | null>;
}

export interface LabState {
  source: LabSource;
  functions: LabFunction[];
  builtins: string[];
  samples: LabSample[];
  result: LabResult | null;
  running: boolean;
  progress: string | null;
  warnings: string[];
  error: string | null;
}

export type RowFilter = 'all' | 'failed' | 'lowered-previous' | 'lowered-recorded' | 'changed-previous';

/** The samples table's sort and filter: the app's own, saved with the rest. */
export interface TableView {
  sortKey: string;
  descending: boolean;
  text: string;
  filter: RowFilter;
}

/**
 * What the app saves with setState: the functions and the sample source it shows and the table's
 * view. After a window reload the host re-opens the same samples with the same functions and scores
 * them again (results are not saved: they are recomputed).
 */
export interface LabSavedState {
  functions: LabFunction[];
  source: LabSource;
  view: TableView;
}

export interface RewardLabProtocol {
  commands: {
    'lab/run': Record<string, never>;
    'lab/chooseSource': { kind: 'run' | 'dataset' | 'text' };
    'lab/setStep': { step: number };
    'lab/setText': TypedSample;
    'lab/toggleFunction': { name: string; enabled: boolean };
    'lab/addBuiltin': { name: string };
    'lab/openFrame': { file: string; line: number };
  };
  requests: Record<string, never>;
  notifications: {
    'lab/state': LabState;
  };
}

export const EXCERPT_PROMPT = 240;
export const EXCERPT_COMPLETION = 600;
