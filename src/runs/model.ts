// The typed model of a run directory (run format v1, docs/run-format.md), as the extension reads it.
// No `vscode` import here: the reader, the store and their tests run in plain Node.
// Consumers (run explorer, status bar, webviews) only read; RunReader and RunStore write.

// --- run.json ---------------------------------------------------------------------------------

export type RunStatus = 'starting' | 'running' | 'stopping' | 'completed' | 'failed' | 'stopped';
export const RUN_STATUSES: readonly RunStatus[] = ['starting', 'running', 'stopping', 'completed', 'failed', 'stopped'];
export const LIVE_STATUSES: readonly RunStatus[] = ['starting', 'running', 'stopping'];

export interface RunErrorInfo {
  type: string;
  message: string;
  traceback: string;
}

export interface RunVersions {
  rlstudio?: string;
  trl?: string;
  transformers?: string;
  torch?: string;
  python?: string;
}

/** run.json. Unknown fields are kept but not typed. */
export interface RunManifest {
  format: string;
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  status: RunStatus;
  endedAt: string | null;
  error: RunErrorInfo | null;
  pid: number;
  host: string;
  algorithm: string;
  model: string;
  maxSteps: number;
  configPath: string | null;
  config: Record<string, unknown>;
  versions: RunVersions;
  resumedFrom: { step: number; checkpoint: string } | null;
}

// --- events.jsonl -----------------------------------------------------------------------------

interface EventBase {
  /** Unix seconds. */
  t: number;
}
export type RunEvent =
  | (EventBase & { type: 'status'; status: RunStatus })
  | (EventBase & { type: 'heartbeat'; step: number })
  | (EventBase & { type: 'checkpoint'; step: number; path: string })
  | (EventBase & { type: 'rollouts'; step: number; path: string; rows: number })
  | (EventBase & { type: 'warning'; message: string })
  | (EventBase & { type: 'error'; error: RunErrorInfo })
  | (EventBase & { type: 'reward_error'; step: number; function: string; indices: number[]; error: RunErrorInfo })
  | (EventBase & { type: 'resume'; step: number; checkpoint: string })
  | (EventBase & { type: 'control'; request: 'stop' | 'save'; source: 'file' | 'signal' });

// --- metrics.jsonl ----------------------------------------------------------------------------

/**
 * One line of metrics.jsonl. A value is a number, null (no value at this step) or, for a non-finite
 * number, one of the strings `NaN`, `Infinity`, `-Infinity` (files written before those strings had
 * null there too: such a null reads as missing).
 */
export interface MetricRow {
  step: number;
  /** Unix seconds. */
  t: number;
  values: Record<string, number | string | null>;
}

/**
 * Metrics stored by column: row i is (steps[i], times[i], column(name)[i]).
 * A metric missing from a row is NaN. Arrays returned are views valid until the next append;
 * copy them if you keep them across an `onDidAppendMetrics` event.
 */
export interface MetricTable {
  readonly length: number;
  names(): string[];
  steps(): Float64Array;
  times(): Float64Array;
  /** The column of a metric, or undefined if no row ever had it. */
  column(name: string): Float64Array | undefined;
  /** The last finite value of a metric, if any. */
  latest(name: string): number | undefined;
  /** Rows where a metric was non-finite (its column has NaN there, as where it is missing), ascending. */
  nonFinite(name: string): readonly number[];
}

// --- derived state ----------------------------------------------------------------------------

export interface CheckpointInfo {
  step: number;
  /** Absolute path of checkpoints/checkpoint-<step>/. */
  dir: string;
}

/** Status as the user should see it: the manifest's, unless the process is gone. */
export interface DerivedStatus {
  status: RunStatus;
  /** Why the status differs from run.json's, e.g. "process ended unexpectedly". */
  reason?: string;
  /** Error from run.json or the derived failure. */
  error?: RunErrorInfo;
  /** The last lines of logs/stderr.log when the process died without an end status. */
  stderrTail?: string;
}

/** A file of the run that could not be read or parsed (the run is still shown). */
export interface RunProblem {
  file: string;
  line?: number;
  message: string;
}

export interface Disposable {
  dispose(): void;
}
/** Same shape as vscode.Event, so listeners work with either. */
export type Event<T> = (listener: (e: T) => void) => Disposable;

export interface MetricsAppended {
  run: Run;
  /** Index of the first new row in `run.metrics`; 0 after a reset (metrics file truncated). */
  from: number;
}

export interface Run {
  /** The run directory's basename. */
  readonly id: string;
  /** Absolute path of the run directory. */
  readonly dir: string;
  /** undefined until run.json has been read successfully. */
  readonly manifest: RunManifest | undefined;
  readonly derived: DerivedStatus;
  readonly metrics: MetricTable;
  /** Display name: manifest name, else the id. */
  name(): string;
  metricNames(): string[];
  /** Steps with a rollouts/step-XXXXXXXX.parquet file, ascending. */
  recordedSteps(): number[];
  rolloutsFile(step: number): string;
  checkpoints(): CheckpointInfo[];
  /** Highest step seen in heartbeats or metrics. */
  lastStep(): number | undefined;
  /** Unix seconds of the last heartbeat (or last event/metric) — what liveness is judged by. */
  lastHeartbeat(): number | undefined;
  /** Recent warnings, errors and reward errors (bounded). */
  recentEvents(): readonly RunEvent[];
  problems(): readonly RunProblem[];
  readonly onDidChange: Event<Run>;
  readonly onDidAppendMetrics: Event<MetricsAppended>;
}

export interface RunStore {
  /** Known runs, newest first. */
  runs(): readonly Run[];
  get(id: string): Run | undefined;
  readonly onDidChangeRuns: Event<void>;
}
