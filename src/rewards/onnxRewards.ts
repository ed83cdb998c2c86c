// The Reward Lab's ONNX rewards: a run config's `{name, onnx: path/to/export}` entries (a reward model
// exported by `rlstudio export-onnx`), scored in the extension's scoring process (src/onnx/, the
// `reward` method: onnxruntime-node, never in the extension host) on prompt + completion, as the
// trainer's OnnxReward scores string rows (trainer/rlstudio/export/onnx_reward.py: `scores[:, 0]`).
// The result has the worker's shape (FunctionScores), so the Lab shows, merges and diffs it like a
// Python function's. No `vscode` import.

import * as path from 'node:path';
import type { ErrorTriple, FunctionScores, RewardSample, RunRewardSpec } from '../worker/protocol';

/** Marks an ONNX reward's `ref` in the Lab (the function list shows it): `onnx:<export folder>`. */
export const ONNX_REF = 'onnx:';

export interface OnnxRewardFunction {
  name: string;
  /** The export folder, absolute. */
  onnx: string;
  weight: number;
}

/** The scoring process's `reward` request (ScoringClient.request('reward', …)). */
export type RewardModelRequest = (params: { exportDir: string; texts: string[] }) => Promise<{ scores: number[][] }>;

/** The absolute export folder of a run config's `onnx:` value (relative to the config's folder, as the trainer resolves it). */
export function onnxExportDir(onnx: string, baseDir: string | undefined): string {
  return path.resolve(baseDir ?? '.', onnx);
}

/** A Lab function made from a run config's `rewards:` entry. */
export interface RunRewardFunction {
  name: string;
  ref: string;
  onnx?: string;
  weight: number;
  origin: 'run';
  enabled: true;
}

/**
 * The Lab's functions for a run config's rewards (those named in `listed` stay as they are): a
 * function by its `ref`, an ONNX reward model by its export folder (`ref` then `onnx:<folder>`).
 */
export function runRewardFunctions(rewards: readonly RunRewardSpec[], baseDir: string | undefined, listed: ReadonlySet<string>): RunRewardFunction[] {
  return rewards.flatMap((reward): RunRewardFunction[] => {
    if (listed.has(reward.name)) return [];
    const base = { name: reward.name, weight: reward.weight ?? 1, origin: 'run' as const, enabled: true as const };
    if (reward.onnx) {
      const onnx = onnxExportDir(reward.onnx, baseDir);
      return [{ ...base, ref: `${ONNX_REF}${onnx}`, onnx }];
    }
    return reward.ref ? [{ ...base, ref: reward.ref }] : [];
  });
}

/** The text a reward model scores for a sample: prompt + completion. */
export function rewardModelText(sample: RewardSample): string {
  return sample.prompt + sample.completion;
}

/**
 * Scores the samples with each ONNX reward, one request per function. A function whose export
 * cannot be scored (missing, not a reward model, the scoring process cannot start on this platform)
 * fails on every sample with a message that says so; the other functions are unaffected.
 */
export async function scoreOnnxRewards(functions: readonly OnnxRewardFunction[], samples: readonly RewardSample[], request: RewardModelRequest): Promise<FunctionScores[]> {
  const texts = samples.map(rewardModelText);
  const results: FunctionScores[] = [];
  for (const fn of functions) {
    const started = performance.now();
    const base = { name: fn.name, ref: `${ONNX_REF}${fn.onnx}`, weight: fn.weight, extras: {} };
    let rows: number[][];
    try {
      rows = (await request({ exportDir: fn.onnx, texts })).scores;
    } catch (error) {
      const all = samples.map((_, i) => i);
      results.push({ ...base, scores: samples.map(() => null), errors: [{ indices: all, error: cannotScore(fn, error) }], seconds: null });
      continue;
    }
    const scores: (number | null)[] = [];
    const bad = new Map<string, number[]>();
    rows.forEach((row, i) => {
      const value = row[0];
      if (typeof value === 'number' && Number.isFinite(value)) scores.push(value);
      else {
        scores.push(null);
        const why = `ONNX reward ${fn.name} returned ${String(value)} (need a finite number)`;
        bad.set(why, [...(bad.get(why) ?? []), i]);
      }
    });
    const errors = [...bad].map(([message, indices]) => ({ indices, error: { type: 'ValueError', message, traceback: '' } }));
    results.push({ ...base, scores, errors, seconds: (performance.now() - started) / 1000 });
  }
  return results;
}

function cannotScore(fn: OnnxRewardFunction, error: unknown): ErrorTriple {
  const type = error instanceof Error ? error.constructor.name : 'Error';
  const reason = error instanceof Error ? error.message : String(error);
  return { type, message: `the Lab cannot score the ONNX reward ${fn.name} (${fn.onnx}): ${reason}`, traceback: '' };
}
