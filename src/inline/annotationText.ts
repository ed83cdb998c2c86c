// What a dataset line says about its prompt in a run: numbers of the samples of one recorded step
// (solved count by the run's correctness reward, mean reward) and the change since the first step
// that sampled the prompt. Pure: unit-tested without VS Code.

import type { RolloutScore } from '../runs/rolloutTypes';
import { formatNumber } from '../common/format';

/** The reward entry that says whether a sample is correct, chosen from the run's config. */
export interface Correctness {
  name: string;
  /** Why this entry: its built-in ref, or its name. */
  because: string;
}

/** Decimals of rewards on dataset lines and above reward code (as in the Runs view). */
const DIGITS = 2;

/** Built-in rewards that check an answer against the data (rlstudio.rewards.BUILTINS). */
const CORRECTNESS_REFS = ['exact_answer', 'reasoning_gym'];
const CORRECTNESS_NAMES = /correct|accura|exact|solve|answer/i;

/** The correctness reward among a config's `rewards` entries, if one can be told. */
export function correctnessReward(rewards: unknown): Correctness | undefined {
  if (!Array.isArray(rewards)) return undefined;
  const entries = rewards.filter((r): r is { name: string; ref?: unknown } => typeof r?.name === 'string');
  const byRef = entries.find((r) => typeof r.ref === 'string' && CORRECTNESS_REFS.includes(r.ref));
  if (byRef) return { name: byRef.name, because: `built-in ${String(byRef.ref)}` };
  const byName = entries.find((r) => CORRECTNESS_NAMES.test(r.name));
  return byName ? { name: byName.name, because: 'its name' } : undefined;
}

/** A sample counts as solved when the correctness reward gives full marks. */
export const SOLVED_AT = 1 - 1e-6;

export interface PromptStats {
  step: number;
  samples: number;
  /** Samples solved; undefined when the run has no correctness reward. */
  solved: number | undefined;
  /** Mean total reward of the samples that have one; undefined when none has. */
  reward: number | undefined;
  /** Population standard deviation of those rewards (0: no learning signal in the group). */
  std: number | undefined;
  errors: number;
}

export function promptStats(step: number, rows: readonly RolloutScore[], correctness: Correctness | undefined): PromptStats {
  const rewards = rows.map((r) => r.reward).filter((r): r is number => r !== null && Number.isFinite(r));
  const mean = rewards.length ? rewards.reduce((a, b) => a + b, 0) / rewards.length : undefined;
  const std = mean === undefined ? undefined : Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / rewards.length);
  const solved = correctness ? rows.filter((r) => (r.rewards[correctness.name] ?? -Infinity) >= SOLVED_AT).length : undefined;
  return { step, samples: rows.length, solved, reward: mean, std, errors: rows.filter((r) => r.rewardError !== null).length };
}

export interface Flags {
  /** No sample solved at the latest step. */
  unsolved: boolean;
  /** Every sample got the same reward: the group's advantages are zero. */
  noSignal: boolean;
}

export function flags(latest: PromptStats): Flags {
  return {
    unsolved: latest.solved === 0,
    noSignal: latest.samples > 1 && latest.std !== undefined && latest.std < 1e-9,
  };
}

/** `step 120 · 5/8 solved · reward 0.62 ↑0.31 since step 20`, plus flags. */
export function annotationText(latest: PromptStats, first: PromptStats | undefined): string {
  const parts = [`step ${latest.step}`];
  if (latest.solved !== undefined) parts.push(`${latest.solved}/${latest.samples} solved`);
  else parts.push(`${latest.samples} samples`);
  if (latest.reward !== undefined) {
    let reward = `reward ${formatNumber(latest.reward, DIGITS)}`;
    if (first && first.step !== latest.step && first.reward !== undefined) {
      const delta = latest.reward - first.reward;
      const arrow = Math.abs(delta) < 5e-4 ? '±0' : `${delta > 0 ? '↑' : '↓'}${formatNumber(Math.abs(delta), DIGITS)}`;
      reward += ` ${arrow} since step ${first.step}`;
    }
    parts.push(reward);
  }
  if (latest.errors > 0) parts.push(`${latest.errors} reward error${latest.errors > 1 ? 's' : ''}`);
  const f = flags(latest);
  if (f.unsolved) parts.push('⚠ unsolved');
  if (f.noSignal) parts.push('⚠ no learning signal (equal rewards)');
  return parts.join(' · ');
}

/** `mean 0.41 · std 0.22 · 3 errors at step 120 (run X)` for a reward function's values at a step. */
export function rewardLensText(name: string, rows: readonly RolloutScore[], step: number, runName: string): { text: string; errors: RolloutScore[] } {
  const values = rows.map((r) => r.rewards[name]).filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
  const errors = rows.filter((r) => r.rewardError !== null && r.rewardError.split('\n').some((line) => line.startsWith(`${name}:`)));
  const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
  const std = mean === undefined ? undefined : Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
  const parts = mean === undefined ? ['no values'] : [`mean ${formatNumber(mean, DIGITS)}`, `std ${formatNumber(std, DIGITS)}`];
  parts.push(`${errors.length} error${errors.length === 1 ? '' : 's'} at step ${step} (run ${runName})`);
  return { text: parts.join(' · '), errors };
}

/** Mean total reward of the rows that have one, as text ('—' when none has). */
export function meanRewardText(rows: readonly RolloutScore[]): string {
  const values = rows.map((r) => r.reward).filter((v): v is number => v !== null);
  return values.length ? formatNumber(values.reduce((a, b) => a + b, 0) / values.length, DIGITS) : '—';
}

/** The first non-blank line of a text, cut at `max` characters. */
export function firstLine(text: string, max: number): string {
  const line = text.split(/\r\n|\r|\n/).find((l) => l.trim() !== '') ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
