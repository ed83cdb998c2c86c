// Text shown for runs in the explorer and the status bar. Pure functions: unit-tested without VS Code.
import { formatNumber } from '../common/format';
import { plainText } from '../common/untrustedText';
import type { Run, RunStatus } from '../runs/model';

/** Decimals of a metric in a tree item or the status bar (the dashboard's readout shows 4). */
const RUN_DIGITS = 2;

/** `step 120/500 · reward 0.62`, prefixed with the status unless running (parts omitted when unknown). */
export function describeRun(run: Run): string {
  const parts: string[] = [];
  if (run.derived.status !== 'running') parts.push(STATUS_LABELS[run.derived.status]);
  const step = run.lastStep();
  const max = run.manifest?.maxSteps;
  if (step !== undefined) parts.push(max ? `step ${step}/${max}` : `step ${step}`);
  else if (max) parts.push(`0/${max} steps`);
  const reward = run.metrics.latest('reward');
  if (reward !== undefined) parts.push(`reward ${formatNumber(reward, RUN_DIGITS)}`);
  if (run.derived.reason) parts.push(run.derived.reason);
  return parts.join(' · ');
}

/**
 * The progress notification of a starting or resuming run: its name once run.json tells it (the
 * folder id before that is a timestamp the user never chose), as plain text for a notification.
 */
export function startingTitle(run: Run, verb: string): string {
  return run.manifest?.name ? `${verb} ${plainText(run.manifest.name)}` : `${verb} the run`;
}

/** `1h 02m`, `3m 20s`, `12s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Seconds from createdAt to endedAt (or now, for a live run). */
export function runDuration(run: Run, now = Date.now()): number | undefined {
  const start = Date.parse(run.manifest?.createdAt ?? '');
  if (!Number.isFinite(start)) return undefined;
  const endedAt = Date.parse(run.manifest?.endedAt ?? '');
  const end = Number.isFinite(endedAt) ? endedAt : run.derived.status === 'failed' ? (run.lastHeartbeat() ?? now / 1000) * 1000 : now;
  return (end - start) / 1000;
}

export const STATUS_LABELS: Record<RunStatus, string> = {
  starting: 'Starting',
  running: 'Running',
  stopping: 'Stopping',
  completed: 'Completed',
  failed: 'Failed',
  stopped: 'Stopped',
};
