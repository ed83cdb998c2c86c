// Reward Lab: host ⇄ webview messages. The host sends whole-state snapshots (`lab/state`); the app
// sends commands. Type-only: the app imports this file with `import type`.

import type { ErrorTriple } from '../../worker/protocol';
import type { Histogram, TracebackFrame } from '../../rewards/labStats';

export type LabSource =
  | { kind: 'none' }
  | { kind: 'run'; runDir: string; runName: string; step: number; steps: number[] }
  | { kind: 'dataset'; file: string }
  | { kind: 'text' };

export interface LabFunction {
  name: string;
  ref: string;
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

export interface LabFailure {
  function: string;
  indices: number[];
  error: ErrorTriple;
  frames: TracebackFrame[];
}

export interface LabDiff {
  summary: string;
  lowered: number[];
  raised: number[];
  nowFailing: number[];
}

export interface LabResult {
  functions: string[];
  scores: Record<string, (number | null)[]>;
  total: (number | null)[];
  failures: LabFailure[];
  histograms: Record<string, Histogram | null>;
  /** correlations[i][j] between functions[i] and functions[j]. */
  correlations: (number | null)[][];
  vsPrevious: LabDiff | null;
  vsRecorded: LabDiff | null;
  reason: 'manual' | 'save';
  ranAt: string;
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

export interface RewardLabProtocol {
  commands: {
    'lab/run': Record<string, never>;
    'lab/chooseSource': { kind: 'run' | 'dataset' | 'text' };
    'lab/setStep': { step: number };
    'lab/setText': { prompt: string; completion: string; answer: string };
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
