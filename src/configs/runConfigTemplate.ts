// The commented YAML that "Create Run Config" writes. Pure: unit-tested against the schema.

export interface RunConfigChoices {
  name: string;
  /** `embedded:smollm2-135m` or a folder path (relative to the config file). */
  model: string;
  data: { kind: 'reasoning_gym'; task: string } | { kind: 'file'; path: string; promptColumn: string };
  /** Built-in names or `file.py:function` refs (relative to the config file). */
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
  const lines = [
    `# RL Studio run config. Hover a key for its documentation; "Start Run" above or in the title bar.`,
    `name: ${yamlString(c.name)}`,
    '',
    '# The policy model: embedded:smollm2-135m (ships offline) or a local model folder.',
    'model:',
    `  name: ${yamlString(c.model)}`,
    '',
    '# Training prompts.',
    'data:',
  ];
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
  const p = c.preset;
  lines.push(
    '',
    `# GRPO (TRL). Preset: ${p.label} — ${p.detail}.`,
    'algorithm:',
    '  loss_type: dr_grpo',
    `  num_generations: ${p.numGenerations}  # completions per prompt (the GRPO group)`,
    `  max_completion_length: ${p.maxCompletionLength}`,
    `  max_steps: ${p.maxSteps}`,
    `  learning_rate: ${p.learningRate}`,
    '  beta: 0.0  # KL coefficient; 0 = no reference model',
    '',
    '# Every rollout of a recorded step is written to rollouts/step-*.parquet for the inspector.',
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
