// Messages between the rollout inspector's host panel and its app (webview/inspector/).

import type { Measure } from '../../common/colorScale';
import type { InspectedRollout, RolloutDetail, RolloutSummary, SelectionChoice, StepRollouts } from '../../runs/rolloutTypes';
import type { StepStats } from './stepStats';

export type { InspectedRollout, Measure, RolloutDetail, RolloutSummary, SelectionChoice, StepRollouts, StepStats };

export const INSPECTOR_VIEW_TYPE = 'rlstudio.inspector';

export type SortKey = 'group' | 'reward' | 'advantage' | 'length' | 'entropy';

export interface RolloutFilter {
  rewardMin: number | null;
  rewardMax: number | null;
  advantageSign: 'any' | 'positive' | 'negative' | 'zero';
  text: string;
  truncatedOnly: boolean;
  /** Rollout replay: fresh rows only, replayed rows only, or both. */
  replay: ReplayFilter;
}

export type ReplayFilter = 'all' | 'fresh' | 'replayed';

/** What the inspector shows; persisted with setState so a reloaded panel comes back the same. */
export interface InspectorState {
  runId: string | null;
  step: number | null;
  row: number | null;
  measure: Measure;
  sort: SortKey;
  filter: RolloutFilter;
  /** Keep the selected prompt when the step changes. */
  followPrompt: boolean;
  showWhitespace: boolean;
  collapseThink: boolean;
  markdown: boolean;
  tab: 'tokens' | 'group' | 'stats';
}

export const DEFAULT_INSPECTOR_STATE: InspectorState = {
  runId: null,
  step: null,
  row: null,
  measure: 'entropy',
  sort: 'group',
  filter: { rewardMin: null, rewardMax: null, advantageSign: 'any', text: '', truncatedOnly: false, replay: 'all' },
  followPrompt: false,
  showWhitespace: true,
  collapseThink: false,
  markdown: false,
  tab: 'tokens',
};

export interface RunSteps {
  runId: string;
  runName: string;
  /** Steps with a rollout shard, ascending. */
  steps: number[];
}

export interface GroupCompletion {
  row: number;
  groupIndex: number;
  completion: string;
  reward: number | null;
  rewards: Record<string, number | null>;
  advantage: number | null;
  truncated: boolean;
  /** Rollout replay, as RolloutSummary has it. */
  replayed: boolean;
  age: number;
}

export interface InspectorProtocol {
  commands: {
    /** Logged on the host, e.g. a request that failed in the app. */
    'inspector/log/error': { message: string };
    /** Open the rollout as a read-only editor document (rlstudio-rollout:). */
    'inspector/openInEditor': { runId: string; step: number; promptIndex: number; groupIndex: number };
  };
  requests: {
    'inspector/run/get': { params: { runId: string }; result: RunSteps };
    'rollouts/step/get': { params: { runId: string; step: number }; result: StepRollouts };
    'rollouts/rollout/get': { params: { runId: string; step: number; row: number }; result: InspectedRollout };
    'rollouts/group/get': { params: { runId: string; step: number; promptIndex: number }; result: GroupCompletion[] };
    'rollouts/step/stats': { params: { runId: string; step: number }; result: StepStats };
    /** Rows whose prompt or completion contains the text. */
    'rollouts/step/search': { params: { runId: string; step: number; text: string }; result: number[] };
    /** Recorded steps whose shard holds this exact prompt. */
    'rollouts/prompt/steps': { params: { runId: string; prompt: string }; result: number[] };
  };
  notifications: {
    /** Snapshot of the run's recorded steps (sent again when a new shard appears). */
    'inspector/steps/didChange': RunSteps;
    /** Navigate: from the dashboard, the run tree, or a command. */
    'inspector/show': { runId: string; step: number; row?: number };
  };
}

/** First state inlined into the page. */
export interface InspectorInit {
  state: InspectorState;
  run: RunSteps | null;
}
