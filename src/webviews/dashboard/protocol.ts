// Messages between the dashboard's host panel and its app (webview/dashboard/).

import type { DifficultyHistogram } from '../../common/difficultyHistogram';

export type { DifficultyHistogram };

export const DASHBOARD_VIEW_TYPE = 'rlstudio.dashboard';

/**
 * One run's metrics by column, as Float64Arrays (NaN where a value is missing or non-finite):
 * postMessage carries them as binary buffers, and the page inlines them as base64
 * (src/webviews/shared/html.ts), never as JSON number arrays (10× slower to read at 100k rows).
 */
export interface RunMetrics {
  runId: string;
  name: string;
  status: string;
  steps: Float64Array;
  /** Unix seconds. */
  times: Float64Array;
  metrics: Record<string, Float64Array>;
  /** Per metric, the rows where its value was non-finite (NaN in `metrics`, as a missing value is). */
  nonFinite: Record<string, number[]>;
  /** Steps with a rollout shard, for "click a point → inspector". */
  recordedSteps: number[];
  config: Record<string, unknown>;
}

export interface DashboardSnapshot {
  /** Every known run, for the overlay picker. */
  available: { runId: string; name: string; status: string }[];
  /** The overlaid runs, in colour order. */
  runs: RunMetrics[];
}

/** Rows appended to a run's metrics; `from` is the index of the first new row. */
export interface MetricsAppend {
  runId: string;
  from: number;
  steps: Float64Array;
  times: Float64Array;
  metrics: Record<string, Float64Array>;
  /** Rows (of the whole run, ≥ from) where a metric was non-finite. */
  nonFinite: Record<string, number[]>;
}

/** What the dashboard shows; persisted with setState so a reloaded panel comes back the same. */
export interface DashboardState {
  runIds: string[];
  smoothing: number;
  xAxis: 'step' | 'time';
  logScale: boolean;
  /** Zoomed x range, or null for everything. */
  zoom: { min: number; max: number } | null;
  entropyFraction: number;
  collapsed: string[];
}

export const DEFAULT_DASHBOARD_STATE: DashboardState = {
  runIds: [],
  smoothing: 0.6,
  xAxis: 'step',
  logScale: false,
  zoom: null,
  entropyFraction: 0.25,
  collapsed: [],
};

export interface DashboardInit {
  state: DashboardState;
  snapshot: DashboardSnapshot;
}

export interface DashboardProtocol {
  commands: {
    /** Open the rollout inspector at (the recorded step nearest to) this step. */
    'dashboard/inspector/open': { runId: string; step: number };
    /** Overlay these runs; the host answers with a new snapshot. */
    'dashboard/runs/select': { runIds: string[] };
    /** Open Compare Checkpoints on this run's evaluations. */
    'dashboard/compare/open': { runId: string };
  };
  requests: {
    /** A full snapshot, e.g. when the app notices it missed an append. */
    'dashboard/snapshot/get': { params: { runIds: string[] }; result: DashboardSnapshot };
    /** The Selection section's heatmap: estimated difficulty per step from selection.jsonl; null without the file. */
    'dashboard/selection/get': { params: { runId: string }; result: DifficultyHistogram | null };
  };
  notifications: {
    'dashboard/snapshot/didChange': DashboardSnapshot;
    'dashboard/metrics/didAppend': MetricsAppend;
    'dashboard/recorded/didChange': { runId: string; recordedSteps: number[]; status: string };
  };
}
