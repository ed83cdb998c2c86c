// Synthetic host replies for the webview benchmark: a 32k-token rollout, a step of 1,024 rollouts,
// and 20 metrics × 100k points. Shapes are exactly the protocol's; values are deterministic.

import type { DashboardSnapshot } from '../src/webviews/dashboard/protocol';
import type { RolloutDetail, StepRollouts } from '../src/webviews/inspector/protocol';

const WORDS = [' the', ' answer', ' is', ' so', ' wait', ',', '\n', ' 42', ' let', ' me', ' check', '.', ' because', '\t', ' x'];

export function longRollout(tokens: number): RolloutDetail {
  const pieces = Array.from({ length: tokens }, (_, i) => WORDS[(i * 7) % WORDS.length]);
  const entropies = pieces.map((_, i) => ((i * 37) % 100) / 25);
  return {
    step: 1,
    row: 0,
    promptIndex: 0,
    groupIndex: 0,
    prompt: 'Solve: what is 6 × 7? Think step by step.',
    completion: pieces.join(''),
    tokenIds: pieces.map((_, i) => 1000 + ((i * 7) % WORDS.length)),
    tokens: pieces,
    logprobs: pieces.map((_, i) => -((i * 13) % 50) / 10),
    entropies,
    lossMask: entropies.map((e) => (e >= 3 ? 1 : 0)),
    advantage: 0.8,
    reward: 1,
    rewards: { accuracy: 1, format: 0.5 },
    truncated: false,
    hintIds: [],
    rewardError: null,
    extras: {},
    entropyThreshold: 3,
    datasetIndex: null,
    replayed: false,
    age: 0,
  };
}

export function bigStep(rollouts: number, group: number): StepRollouts {
  const prompts: Record<number, string> = {};
  for (let p = 0; p < rollouts / group; p++) prompts[p] = `Question ${p}: compute ${p} × 7.`;
  return {
    step: 1,
    file: '/bench/step-00000001.parquet',
    prompts,
    rewardNames: ['accuracy', 'format'],
    rollouts: Array.from({ length: rollouts }, (_, row) => ({
      row,
      promptIndex: Math.floor(row / group),
      groupIndex: row % group,
      reward: (row % 5) / 4,
      rewards: { accuracy: row % 2, format: 0.5 },
      advantage: ((row % group) - (group - 1) / 2) / group,
      length: 200 + (row % 300),
      meanEntropy: (row % 40) / 20,
      truncated: row % 17 === 0,
      rewardError: null,
      hintIds: [],
      preview: `The answer is ${row}. Let me check that again carefully before I answer.`,
      replayed: false,
      age: 0,
    })),
  };
}

export function bigMetrics(series: number, points: number): DashboardSnapshot {
  const names = ['reward', 'reward_std', 'entropy', 'kl', 'loss', 'grad_norm', 'learning_rate', 'completions/mean_length', 'completions/clipped_ratio', 'rlstudio/step_time_s', 'rlstudio/tokens_per_s'];
  while (names.length < series + 1) names.push(`custom/metric_${names.length}`);
  const steps = Float64Array.from({ length: points }, (_, i) => i + 1);
  const metrics: Record<string, Float64Array> = {};
  names.slice(0, series + 1).forEach((name, k) => {
    metrics[name] = steps.map((s) => 1 + Math.sin(s / (50 + k)) * 0.5 + ((s * (k + 3)) % 97) / 970);
  });
  return {
    available: [{ runId: 'bench', name: 'bench', status: 'running' }],
    runs: [{ runId: 'bench', name: 'bench', status: 'running', steps, times: steps.map((s) => 1_800_000_000 + s * 2), metrics, recordedSteps: [1], config: {}, nonFinite: {} }],
  };
}
