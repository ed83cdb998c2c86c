// Starting and stopping `rlstudio eval` as a detached process, the way training runs are started
// (src/trainer/launcher.ts): its own process group, output in `<eval>/logs/`, a stop file first and
// signals after. The extension chooses the eval id, so it knows the folder before the process
// writes anything. No `vscode` import.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainerCli } from '../python/interpreter';
import { evalPaths } from '../runs/runFormat';
import { spawnTrainer, stopRun, type Launched, type StopStage } from '../trainer/launcher';
import { normalizeManifest } from './evalManifest';
import type { EvalPaths } from './evalReader';
import type { EvalManifest } from './evalTypes';

export interface EvalRequest {
  /** `base`, `latest` or `checkpoint-<step>`. */
  checkpoints: string[];
  samples: number;
  prompts?: number;
  name?: string;
}

/** `YYYYMMDD-HHMMSS-<name>` (UTC), as `rlstudio eval` names evals; unique under `<run>/evals/`. */
export function newEvalId(runDir: string, name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const slug = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'eval';
  let id = `${stamp}-${slug}`;
  for (let i = 2; fs.existsSync(evalPaths(runDir, id).dir); i++) id = `${stamp}-${slug}-${i}`;
  return id;
}

export function evalArgs(runDir: string, evalId: string, request: EvalRequest): string[] {
  const args = ['eval', runDir, '--checkpoints', request.checkpoints.join(','), '--samples', String(request.samples), '--eval-id', evalId];
  if (request.prompts !== undefined) args.push('--prompts', String(request.prompts));
  if (request.name) args.push('--name', request.name);
  return args;
}

export interface LaunchedEval extends Launched {
  evalId: string;
  paths: EvalPaths;
}

/** Starts `rlstudio eval`; relative paths of the run's config resolve from `cwd` (the config's folder). */
export function startEval(cli: TrainerCli, runDir: string, request: EvalRequest, cwd: string, now = new Date()): LaunchedEval {
  const evalId = newEvalId(runDir, request.name ?? 'eval', now);
  const paths = evalPaths(runDir, evalId);
  const launched = spawnTrainer(cli, evalArgs(runDir, evalId, request), paths.dir, cwd, paths.logs);
  return { ...launched, evalId, paths };
}

/**
 * Starts `rlstudio score`: `checkpoint`'s samples of an eval, teacher-forced under `scorer`, written
 * as `<checkpoint>.scored-by-<scorer>.parquet` (the Δlogprob view). Output in `<eval>/logs/score-…/`.
 */
export function startScore(cli: TrainerCli, runDir: string, evalId: string, checkpoint: string, scorer: string, cwd: string): Launched & { logs: string } {
  const paths = evalPaths(runDir, evalId);
  const logs = path.join(paths.logs, `score-${path.basename(paths.samples(checkpoint), '.parquet')}-by-${scorer}`);
  const args = ['score', runDir, '--eval', evalId, '--checkpoint', checkpoint, '--by', scorer];
  return { ...spawnTrainer(cli, args, paths.dir, cwd, logs), logs };
}

/** eval.json of an eval, or undefined while it is not written (or not readable). */
export function readEvalManifest(paths: EvalPaths): EvalManifest | undefined {
  try {
    return normalizeManifest(path.basename(paths.dir), JSON.parse(fs.readFileSync(paths.manifest, 'utf8')));
  } catch {
    return undefined;
  }
}

/** Stops an eval: `<eval>/control/stop`, then SIGTERM and SIGKILL to its process group if it lingers. */
export function stopEval(paths: EvalPaths, options: { graceMs?: number; termMs?: number; onStage?: (stage: StopStage) => void } = {}): Promise<StopStage> {
  return stopRun(paths.dir, {
    ...options,
    readManifest: () => {
      const m = readEvalManifest(paths);
      return m && { status: m.status, pid: m.pid ?? -1, host: m.host ?? '' };
    },
  });
}

/** The last lines of `<logs>/stderr.log`, for a process that died without saying why in its files. */
export function stderrTail(logs: string, lines = 15): string {
  try {
    return fs.readFileSync(path.join(logs, 'stderr.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
