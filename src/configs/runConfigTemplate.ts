// The commented YAML that "Create Run Config" writes. Pure: unit-tested against the schema.

export interface RunConfigChoices {
  name: string;
  algorithm: AlgorithmChoice;
  /** `embedded:smollm2-135m` or a folder path (relative to the config file). */
  model: string;
  data: { kind: 'reasoning_gym'; task: string } | { kind: 'file'; path: string; promptColumn: string };
  /** Built-in names or `file.py:function` refs (relative to the config file); none for DPO. */
  rewards: string[];
  preset: AlgorithmPreset;
}

export interface AlgorithmPreset {
  label: string;
  detail: string;
  maxSteps: number;
  numGenerations: number;
  maxCompletionLength: number;
  learningRate: number;
}

/** `algorithm.name` and its `loss_type` (TRL's names). */
export type AlgorithmChoice = { name: 'grpo'; lossType: string } | { name: 'rloo' } | { name: 'dpo'; lossType: 'sigmoid' | 'robust' | 'ipo' };

export interface AlgorithmOption {
  label: string;
  detail: string;
  choice: AlgorithmChoice;
}

/** What Create Run Config offers first, each with its one-line explanation (also written as a comment). */
export const ALGORITHMS: AlgorithmOption[] = [
  { label: 'GRPO (dapo loss)', detail: 'Group-relative advantages; token losses averaged over the batch (no length bias). TRL default', choice: { name: 'grpo', lossType: 'dapo' } },
  { label: 'GRPO (dr_grpo loss)', detail: 'Dr. GRPO: losses divided by a constant (max_completion_length); pair with scale_rewards: none', choice: { name: 'grpo', lossType: 'dr_grpo' } },
  { label: 'GRPO (grpo loss)', detail: 'The original: per-sequence mean, then averaged (prefers short right answers, long wrong ones)', choice: { name: 'grpo', lossType: 'grpo' } },
  { label: 'GRPO (bnpo loss)', detail: 'Averaged over the active tokens of the local batch', choice: { name: 'grpo', lossType: 'bnpo' } },
  { label: 'GRPO (cispo loss)', detail: 'MiniMax-M1: clips the importance weights, keeps every token’s gradient', choice: { name: 'grpo', lossType: 'cispo' } },
  { label: 'GRPO (sapo loss)', detail: 'A smooth temperature-controlled gate instead of hard clipping', choice: { name: 'grpo', lossType: 'sapo' } },
  { label: 'RLOO', detail: 'REINFORCE, leave-one-out baseline: each completion against the mean of the others', choice: { name: 'rloo' } },
  { label: 'DPO (sigmoid)', detail: 'Offline, on preference pairs {prompt, chosen, rejected}: the DPO loss', choice: { name: 'dpo', lossType: 'sigmoid' } },
  { label: 'Robust DPO (rDPO)', detail: 'DPO unbiased under label noise: label_smoothing = the share of flipped pairs (< 0.5)', choice: { name: 'dpo', lossType: 'robust' } },
  { label: 'IPO', detail: 'A squared loss on the per-token log-ratio margin; less prone to overfitting the pairs', choice: { name: 'dpo', lossType: 'ipo' } },
];

export const PRESETS: AlgorithmPreset[] = [
  { label: 'Quick CPU check', detail: '20 steps, 4 completions per prompt, 48 tokens: minutes on a laptop', maxSteps: 20, numGenerations: 4, maxCompletionLength: 48, learningRate: 5e-5 },
  { label: 'Small GPU run', detail: '200 steps, 8 completions per prompt, 256 tokens', maxSteps: 200, numGenerations: 8, maxCompletionLength: 256, learningRate: 1e-5 },
  { label: 'Longer GPU run', detail: '1000 steps, 16 completions per prompt, 1024 tokens', maxSteps: 1000, numGenerations: 16, maxCompletionLength: 1024, learningRate: 1e-6 },
];

export const BUILTIN_REWARDS: { ref: string; detail: string }[] = [
  { ref: 'reasoning_gym', detail: "reasoning-gym's own checker (needs reasoning-gym data)" },
  { ref: 'exact_answer', detail: 'answer in <answer></answer> equals the `answer` column' },
  { ref: 'format', detail: '<think>…</think><answer>…</answer> layout' },
  { ref: 'length_penalty', detail: 'penalizes completions longer than max_tokens' },
];

export function renderRunConfig(c: RunConfigChoices): string {
  const a = c.algorithm;
  const lines = [
    `# RL Studio run config. Hover a key for its documentation; "Start Run" above or in the title bar.`,
    `name: ${yamlString(c.name)}`,
    '',
    '# The policy model: embedded:smollm2-135m (ships offline) or a local model folder.',
    'model:',
    `  name: ${yamlString(c.model)}`,
    '',
  ];
  if (a.name === 'dpo') {
    if (c.data.kind !== 'file') throw new Error('DPO trains on a preference file');
    lines.push(
      '# Preference pairs: rows {prompt, chosen, rejected} (JSONL, Parquet or a datasets folder).',
      'data:',
      `  path: ${yamlString(c.data.path)}`,
      '  # Pairs made with "Make Preference Pairs" (rlstudio pairs) hold templated prompts: set this to false.',
      '  chat_template: true',
    );
  } else {
    lines.push('# Training prompts.', 'data:');
    if (c.data.kind === 'reasoning_gym') {
      lines.push('  reasoning_gym:', `    task: ${yamlString(c.data.task)}`, '    size: 200', "  template: 'Answer with a number in <answer></answer> tags. {question}'");
    } else {
      lines.push(`  path: ${yamlString(c.data.path)}`, `  prompt_column: ${yamlString(c.data.promptColumn)}`);
    }
    lines.push('', '# Reward functions: built-in names or path/to/file.py:function; the total is the weighted sum.', 'rewards:');
    for (const ref of c.rewards) {
      const name = ref.includes(':') ? ref.slice(ref.lastIndexOf(':') + 1) : ref;
      lines.push(`  - name: ${yamlString(name)}`, `    ref: ${yamlString(ref)}`, '    weight: 1.0');
    }
  }
  const p = c.preset;
  const explained = ALGORITHMS.find((o) => JSON.stringify(o.choice) === JSON.stringify(a));
  lines.push('', `# ${explained ? `${explained.label}: ${explained.detail}.` : a.name} Preset: ${p.label} — ${p.detail}.`, 'algorithm:', `  name: ${a.name}`);
  if (a.name === 'dpo') {
    lines.push(
      `  loss_type: ${a.lossType}  # sigmoid (DPO), robust (rDPO), ipo`,
      `  beta: 0.1  # pull towards the reference (the initial policy); implicit reward = beta × (log π − log π_ref)`,
      ...(a.lossType === 'robust' ? ['  label_smoothing: 0.1  # the assumed share of pairs with flipped labels, < 0.5'] : []),
      '  max_length: 512  # prompt + answer tokens',
      `  per_device_train_batch_size: 4  # pairs per micro-batch`,
    );
  } else {
    if (a.name === 'grpo') {
      lines.push(`  loss_type: ${a.lossType}  # grpo, dr_grpo, dapo, bnpo, cispo, sapo, luspo, vespo`, '  scale_rewards: group  # group, batch or none (Dr. GRPO)');
    }
    lines.push(`  num_generations: ${p.numGenerations}  # completions per prompt (the group)`, `  max_completion_length: ${p.maxCompletionLength}`);
    if (a.name === 'grpo') lines.push('  # epsilon_high: 0.28  # clip-higher (DAPO)', '  # top_entropy_quantile: 0.2  # train only on the 20% highest-entropy (forking) tokens');
    lines.push('  beta: 0.0  # KL coefficient; 0 = no reference model');
  }
  lines.push(
    `  max_steps: ${p.maxSteps}`,
    `  learning_rate: ${p.learningRate}`,
    '',
    a.name === 'dpo'
      ? '# Every pair of a recorded step (per-token logprobs under the policy and the reference) goes to rollouts/step-*.parquet.'
      : '# Every rollout of a recorded step is written to rollouts/step-*.parquet for the inspector.',
    'recording:',
    '  every_n_steps: 1',
    '',
    'checkpoints:',
    `  every_n_steps: ${Math.max(5, Math.round(p.maxSteps / 4))}`,
    '',
  );
  return lines.join('\n');
}

/** Reward-function candidates in Python source: top-level functions taking `completions`. */
export function findRewardFunctions(source: string): string[] {
  const names: string[] = [];
  for (const m of source.matchAll(/^def ([A-Za-z_]\w*)\s*\(([^)]*)/gm)) {
    if (/\bcompletions\b/.test(m[2]) && !m[1].startsWith('_')) names.push(m[1]);
  }
  return names;
}

function yamlString(s: string): string {
  return /^[\w./:-]+$/.test(s) && !/^(true|false|null|yes|no|~|[\d.]+)$/i.test(s) ? s : JSON.stringify(s);
}
