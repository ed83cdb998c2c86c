import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { JsonSchema } from '../../../src/configs/schemaSupport';
import { ConfigSchema } from '../../../src/configs/schemaSupport';

const ROOT = path.resolve(__dirname, '../../..');
const SCHEMA_FILE = path.join(ROOT, 'schemas', 'run-config.schema.json');
const schema = new ConfigSchema(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as JsonSchema);

const GOOD = `# a comment
name: demo
model:
  name: embedded:smollm2-135m
data:
  reasoning_gym:
    task: basic_arithmetic
rewards:
  - name: correct
    ref: reasoning_gym
algorithm:
  beta: 0.0
  max_steps: 20
`;

test('the checked-in schema equals `rlstudio schema` (regenerate: .venv/bin/rlstudio schema > schemas/run-config.schema.json)', () => {
  // `npm test` installs the trainer into .venv first; without it this test must fail, not pass silently.
  const cli = path.join(ROOT, '.venv', 'bin', 'rlstudio');
  assert.ok(fs.existsSync(cli), `${cli} is not installed: run the set-up (npm test does it)`);
  const generated: unknown = JSON.parse(execFileSync(cli, ['schema'], { encoding: 'utf8', env: { ...process.env, HF_HUB_OFFLINE: '1' } }));
  assert.deepEqual(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')), generated);
});

test('a valid config has no diagnostics', () => {
  assert.deepEqual(schema.diagnostics(GOOD), []);
});

test('an unknown key is reported on its line, with a suggestion', () => {
  const text = GOOD.replace('  max_steps: 20', '  max_step: 20');
  const [d, ...rest] = schema.diagnostics(text);
  assert.equal(rest.length, 0);
  assert.equal(d.line, 12);
  assert.equal(d.column, 2);
  assert.equal(d.path, 'algorithm.max_step');
  assert.match(d.message, /unknown key "max_step" \(did you mean "max_steps"\?\)/);
});

test('a wrong type and a bad enum are reported at the value', () => {
  const text = GOOD.replace('  beta: 0.0', '  beta: lots').replace('algorithm:\n', 'algorithm:\n  loss_type: ppo\n');
  const ds = schema.diagnostics(text);
  const beta = ds.find((d) => d.path === 'algorithm.beta');
  const loss = ds.find((d) => d.path === 'algorithm.loss_type');
  assert.ok(beta && loss, JSON.stringify(ds));
  assert.equal(beta.line, 12);
  assert.equal(beta.column, 8);
  assert.match(beta.message, /number/);
  assert.match(loss.message, /must be one of "grpo"/);
});

test('a missing required key and YAML syntax errors are reported', () => {
  const missing = schema.diagnostics('name: x\nmodel:\n  name: m\nrewards: []\n');
  assert.ok(missing.some((d) => /missing required key "data"/.test(d.message)));
  const broken = schema.diagnostics('model:\n  name: [unclosed\n');
  assert.equal(broken.length > 0, true);
  assert.match(broken[0].message, /^YAML:/);
});

test('hover shows the description and default of a key', () => {
  const h = schema.hover(GOOD, 12, 4);
  assert.ok(h);
  assert.equal(h.path, 'algorithm.max_steps');
  assert.match(h.markdown, /Optimizer steps to train/);
  assert.match(h.markdown, /Default: `100`/);
  const inList = schema.hover(GOOD, 9, 5);
  assert.equal(inList?.path, 'rewards.0.ref');
  assert.equal(schema.hover(GOOD, 0, 3), undefined, 'comments have no hover');
});

test('completion offers missing keys of the enclosing object, and enum values', () => {
  const text = GOOD + '  \n';
  const keys = schema.completions(text, 13, 2).map((c) => c.label);
  assert.ok(keys.includes('loss_type') && keys.includes('num_generations'));
  assert.ok(!keys.includes('max_steps'), 'keys already present are not offered');
  assert.ok(!keys.includes('model'));
  const top = schema.completions('name: x\n\n', 1, 0).map((c) => c.label);
  assert.ok(top.includes('model') && top.includes('rewards') && !top.includes('name'));
  const inReward = schema.completions('rewards:\n  - name: a\n    \n', 2, 4).map((c) => c.label);
  assert.ok(inReward.includes('weight') && !inReward.includes('name'), inReward.join());
  const values = schema.completions('algorithm:\n  loss_type: ', 1, 13).map((c) => c.label);
  assert.deepEqual(values.slice(0, 3), ['grpo', 'dr_grpo', 'dapo']);
  assert.ok(!values.includes('beta'));
});

const DPO = `name: prefs
model:
  name: embedded:smollm2-135m
data:
  path: pairs.jsonl
algorithm:
  name: dpo
  loss_type: robust
  label_smoothing: 0.1
  max_step: 20
`;

test('algorithm variants: the one `name` selects reports its own unknown keys, and completes its own', () => {
  assert.deepEqual(schema.diagnostics(DPO.replace('  max_step: 20\n', '')), []);
  const [d, ...rest] = schema.diagnostics(DPO);
  assert.equal(rest.length, 0, JSON.stringify(rest));
  assert.equal(d.path, 'algorithm.max_step');
  assert.equal(d.line, 9);
  assert.match(d.message, /unknown key "max_step" \(did you mean "max_steps"\?\)/);
  const grpo = schema.diagnostics(GOOD.replace('  beta: 0.0', '  label_smoothing: 0.1'));
  assert.deepEqual(grpo.map((x) => x.path), ['algorithm.label_smoothing']);
  const badLoss = schema.diagnostics(DPO.replace('robust', 'dapo').replace('  max_step: 20\n', ''));
  assert.deepEqual(badLoss.map((x) => [x.path, x.message]), [['algorithm.loss_type', 'must be one of "sigmoid", "robust", "ipo"']]);
  const keys = schema.completions(DPO + '  \n', 10, 2).map((c) => c.label);
  assert.ok(keys.includes('beta') && keys.includes('max_length') && !keys.includes('top_entropy_quantile'), keys.join());
  const grpoKeys = schema.completions(GOOD + '  \n', 13, 2).map((c) => c.label);
  assert.ok(grpoKeys.includes('top_entropy_quantile') && !grpoKeys.includes('label_smoothing'), grpoKeys.join());
});
