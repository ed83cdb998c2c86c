// `rlstudio eval` started, followed and stopped through the extension's launcher code, on a real tiny
// CPU run trained here (no VS Code). Skipped while the installed trainer has no `eval` command.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { meanPassAtK } from '../../../src/common/passAtK';
import { evalPaths } from '../../../src/runs/runFormat';
import { evalArgs, newEvalId, readEvalManifest, startEval, stopEval } from '../../../src/evals/evalLauncher';
import { EvalSampleReader, listEvals, readEval } from '../../../src/evals/evalReader';
import type { TrainerCli } from '../../../src/python/interpreter';

const ROOT = path.resolve(__dirname, '../../..');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
const CLI: TrainerCli = { command: path.join(ROOT, '.venv', 'bin', 'rlstudio'), args: [], env: { HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' } };
const hasEval = fs.existsSync(CLI.command) && spawnSync(CLI.command, ['eval', '--help'], { stdio: 'ignore' }).status === 0;
const missing = hasEval ? false : 'the installed trainer has no `rlstudio eval` (branch eval-py)';

let work: string;
let runDir: string;
const started: number[] = [];

before(() => {
  if (missing) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'rlstudio-eval-launcher-'));
  execFileSync(PYTHON, ['-m', 'rlstudio.testing', 'make-tiny-model', path.join(work, 'model'), '--hidden', '16'], { stdio: 'ignore' });
  const rows = [1, 2, 3, 4, 5, 6].map((a) => JSON.stringify({ prompt: `What is ${a} + 2?`, answer: String(a + 2) }));
  fs.writeFileSync(path.join(work, 'data.jsonl'), rows.join('\n') + '\n');
  const config = path.join(work, 'tiny.rlstudio.yaml');
  fs.writeFileSync(
    config,
    [
      'name: tiny',
      'model: {name: model}',
      'data: {path: data.jsonl}',
      'rewards: [{name: exact, ref: exact_answer}]',
      'algorithm: {num_generations: 2, per_device_train_batch_size: 2, max_completion_length: 8, max_steps: 2}',
      'checkpoints: {every_n_steps: 2}',
      '',
    ].join('\n'),
  );
  runDir = path.join(work, 'run');
  execFileSync(CLI.command, ['train', config, '--run-dir', runDir], { cwd: work, stdio: 'ignore', env: { ...process.env, ...CLI.env } });
});

after(() => {
  for (const pid of started) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already ended
    }
  }
});

async function until(what: string, cond: () => boolean, ms = 180_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('eval ids and arguments', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlstudio-eval-ids-'));
  const now = new Date('2026-11-29T22:00:05Z');
  const id = newEvalId(dir, 'my eval!', now);
  assert.equal(id, '20261129-220005-my-eval');
  fs.mkdirSync(evalPaths(dir, id).dir, { recursive: true });
  assert.equal(newEvalId(dir, 'my eval!', now), '20261129-220005-my-eval-2');
  assert.deepEqual(evalArgs('/runs/a', id, { checkpoints: ['base', 'checkpoint-2'], samples: 16, prompts: 5, name: 'x' }), [
    'eval', '/runs/a', '--checkpoints', 'base,checkpoint-2', '--samples', '16', '--eval-id', id, '--prompts', '5', '--name', 'x',
  ]);
});

test('start an eval of base and a checkpoint; it completes with files the reader reads', { skip: missing, timeout: 400_000 }, async () => {
  const launched = startEval(CLI, runDir, { checkpoints: ['base', 'checkpoint-2'], samples: 4, prompts: 3, name: 'both' }, work);
  started.push(launched.pid);
  assert.match(launched.evalId, /^\d{8}-\d{6}-both$/);
  await until('eval.json', () => readEvalManifest(launched.paths) !== undefined);
  assert.equal(readEvalManifest(launched.paths)?.pid, launched.pid, 'the spawned process is the eval');
  await until('completed', () => readEvalManifest(launched.paths)?.status !== 'running');
  const manifest = readEvalManifest(launched.paths)!;
  assert.equal(manifest.status, 'completed', fs.readFileSync(path.join(launched.paths.logs, 'stderr.log'), 'utf8').slice(-2000));
  const { evals, problems } = await listEvals(runDir);
  assert.deepEqual(problems, []);
  assert.deepEqual(evals.map((e) => e.id), [launched.evalId]);
  const contents = await readEval(launched.paths);
  assert.deepEqual(contents.problems, []);
  assert.deepEqual(Object.keys(contents.summary!.checkpoints).sort(), ['base', 'checkpoint-2']);
  const summary = contents.summary!;
  for (const name of ['base', 'checkpoint-2']) {
    const counts = summary.prompts.map((p) => ({ c: p.correct[name], n: p.n[name] }));
    for (const k of summary.k) assert.ok(Math.abs(meanPassAtK(counts, k)! - summary.checkpoints[name].passAtK[String(k)]) < 1e-12, `${name} pass@${k}`);
  }
  const first = summary.prompts[0];
  const samples = await new EvalSampleReader().readSamples(launched.paths, 'checkpoint-2', first.promptId);
  assert.equal(samples.length, 4);
  assert.equal(samples.filter((s) => s.correct).length, first.correct['checkpoint-2']);
});

test('stop an eval: stop file, then it ends as stopped and stays readable', { skip: missing, timeout: 400_000 }, async () => {
  const launched = startEval(CLI, runDir, { checkpoints: ['base', 'checkpoint-2'], samples: 64, prompts: 6, name: 'stopped' }, work);
  started.push(launched.pid);
  await until('running', () => readEvalManifest(launched.paths)?.status === 'running');
  const stages: string[] = [];
  assert.equal(await stopEval(launched.paths, { graceMs: 120_000, onStage: (s) => stages.push(s) }), 'ended');
  assert.deepEqual(stages, ['requested']);
  assert.equal(readEvalManifest(launched.paths)?.status, 'stopped');
  const contents = await readEval(launched.paths);
  assert.deepEqual(contents.problems, []);
});
