import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { JsonSchema } from '../../../src/configs/schemaSupport';
import { ConfigSchema } from '../../../src/configs/schemaSupport';
import { ALGORITHMS, findRewardFunctions, PRESETS, renderRunConfig } from '../../../src/configs/runConfigTemplate';

const schema = new ConfigSchema(JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../schemas/run-config.schema.json'), 'utf8')) as JsonSchema);

test('generated configs are valid against the schema', () => {
  for (const preset of PRESETS) {
    const gym = renderRunConfig({ name: 'grpo-chain-sum', algorithm: { name: 'grpo', lossType: 'dapo' }, model: 'embedded:smollm2-135m', data: { kind: 'reasoning_gym', task: 'chain_sum' }, rewards: ['reasoning_gym', 'format'], preset });
    assert.deepEqual(schema.diagnostics(gym), [], gym);
    const file = renderRunConfig({ name: 'my run', algorithm: { name: 'grpo', lossType: 'dapo' }, model: 'models/tiny model', data: { kind: 'file', path: 'data/train.jsonl', promptColumn: 'prompt' }, rewards: ['rewards.py:my_reward'], preset });
    assert.deepEqual(schema.diagnostics(file), [], file);
    const parsed = parse(file);
    assert.equal(parsed.name, 'my run');
    assert.equal(parsed.model.name, 'models/tiny model');
    assert.deepEqual(parsed.rewards, [{ name: 'my_reward', ref: 'rewards.py:my_reward', weight: 1 }]);
    assert.equal(parsed.algorithm.max_steps, preset.maxSteps);
  }
});

test('every algorithm on offer writes a config valid against the schema', () => {
  for (const option of ALGORITHMS) {
    const dpo = option.choice.name === 'dpo';
    const text = renderRunConfig({
      name: 'x', algorithm: option.choice, model: 'embedded:smollm2-135m', preset: PRESETS[0],
      data: { kind: 'file', path: dpo ? 'pairs.jsonl' : 'data.jsonl', promptColumn: 'prompt' }, rewards: dpo ? [] : ['exact_answer'],
    });
    assert.deepEqual(schema.diagnostics(text), [], text);
    const parsed = parse(text);
    assert.equal(parsed.algorithm.name, option.choice.name);
    assert.equal(parsed.rewards === undefined, dpo);
    if ('lossType' in option.choice) assert.equal(parsed.algorithm.loss_type, option.choice.lossType);
    if (option.choice.name === 'dpo' && option.choice.lossType === 'robust') assert.equal(parsed.algorithm.label_smoothing, 0.1);
    assert.match(text, new RegExp(option.detail.slice(0, 20).replace(/[()]/g, '.')));
  }
});

test('reward functions are top-level functions taking completions', () => {
  const src = 'def correct(completions, answer, **kw):\n  pass\ndef helper(x):\n  pass\n  def inner(completions): pass\ndef _private(completions): pass\n';
  assert.deepEqual(findRewardFunctions(src), ['correct']);
});
