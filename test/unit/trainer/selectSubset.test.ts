// "Select Training Subset (LIMR)": the extension's call of `rlstudio select-subset`, on a run the
// real trainer records here (a tiny CPU run, ~30 s) and on a fixture run it must refuse.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import type { TrainerCli } from '../../../src/python/interpreter';
import { selectSubset, subsetArgs } from '../../../src/trainer/selectSubset';

const ROOT = path.resolve(__dirname, '../../..');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
const CLI: TrainerCli = { command: path.join(ROOT, '.venv', 'bin', 'rlstudio'), args: [], env: { HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' } };
const missing = fs.existsSync(CLI.command) ? false : `${CLI.command} is not installed (npm run setup)`;
const ROWS = [1, 2, 3, 4].map((a) => ({ question: `What is ${a} + 2?`, answer: String(a + 2) }));

let work: string;
let runDir: string;

before(() => {
  if (missing) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'rlstudio-subset-'));
  execFileSync(PYTHON, ['-m', 'rlstudio.testing', 'make-tiny-model', path.join(work, 'model'), '--hidden', '16'], { stdio: 'ignore' });
  fs.writeFileSync(path.join(work, 'data.jsonl'), ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n');
  // A reward that differs between the random model's completions (so trajectories differ).
  fs.writeFileSync(path.join(work, 'chars.py'), 'def chars(completions, **kwargs):\n    return [min(1.0, len(str(c)) / 60) for c in completions]\n');
  const config = path.join(work, 'tiny.rlstudio.yaml');
  fs.writeFileSync(
    config,
    [
      'name: tiny',
      'model: {name: model}',
      'data: {path: data.jsonl, template: "{question}"}',
      'rewards: [{name: chars, ref: "chars.py:chars"}]',
      // 2 prompts a step over 4 rows: 6 steps visit every prompt 3 times
      'algorithm: {num_generations: 2, per_device_train_batch_size: 4, max_completion_length: 8, max_steps: 6}',
      'checkpoints: {every_n_steps: 1000}',
      '',
    ].join('\n'),
  );
  runDir = path.join(work, 'run');
  execFileSync(CLI.command, ['train', config, '--run-dir', runDir], { stdio: 'ignore', env: { ...process.env, ...CLI.env } });
});

test('the command line it runs', () => {
  assert.deepEqual(subsetArgs('/r', { method: 'limr', size: 5 }), ['select-subset', '/r', '--method', 'limr', '--json', '--size', '5']);
  assert.deepEqual(subsetArgs('/r', { method: 'limr', threshold: 0.6 }).slice(-2), ['--threshold', '0.6']);
  assert.deepEqual(subsetArgs('/r', { method: 'drop-solved-unsolved' }), ['select-subset', '/r', '--method', 'drop-solved-unsolved', '--json']);
});

test('a LIMR subset of a recorded run: the dataset, its provenance and the report', { skip: missing }, async () => {
  const result = await selectSubset(CLI, runDir, { method: 'limr', size: 2 });
  assert.ok(result.ok, JSON.stringify(result));
  assert.equal(result.selected, 2);
  const rows = fs.readFileSync(result.dataset, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as unknown);
  const provenance = JSON.parse(fs.readFileSync(result.provenance, 'utf8')) as { method: string; rows: { dataset_index: number }[] };
  assert.equal(provenance.method, 'limr');
  assert.deepEqual(rows, provenance.rows.map((r) => ROWS[r.dataset_index]));
  assert.equal(fs.readFileSync(result.report, 'utf8').trim(), result.text.trim());
  assert.match(result.text, /selected: 2/);
});

test('a run that cannot support LIMR is refused with the reason and nothing is written', { skip: missing }, async () => {
  const fixture = path.join(ROOT, 'test', 'fixtures', 'runs', 'completed-tiny');
  const result = await selectSubset(CLI, fixture, { method: 'limr', threshold: 0.6 });
  assert.equal(result.ok, false);
  assert.ok(!result.ok && /dataset_index|recorded visits/.test(result.message), JSON.stringify(result));
  assert.equal(fs.existsSync(path.join(fixture, 'subsets')), false);
});
