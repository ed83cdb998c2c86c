// The Reward Lab's ONNX rewards (src/rewards/onnxRewards.ts) end to end without VS Code: the real
// worker reads a run whose config names `{name: rm, onnx: rm}` (the fixture export
// test/fixtures/onnx/reward-tiny, written by the real exporter), the real scoring process
// (onnxruntime-node) scores its rollouts, and the numbers are the trainer's (OnnxReward, Python).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { mergeRuns } from '../../../src/rewards/labResult';
import { ONNX_REF, onnxExportDir, runRewardFunctions, scoreOnnxRewards } from '../../../src/rewards/onnxRewards';
import { ScoringClient } from '../../../src/onnx/scoringClient';
import { runPaths } from '../../../src/runs/runFormat';
import { WorkerClient } from '../../../src/worker/workerClient';
import type { RecordedSample, SamplesFromRunResult } from '../../../src/worker/protocol';

const ROOT = resolve(__dirname, '..', '..', '..');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const RUN = join(ROOT, 'test', 'fixtures', 'runs', 'completed-tiny');
const REWARD_EXPORT = join(ROOT, 'test', 'fixtures', 'onnx', 'reward-tiny');
const CAUSAL_EXPORT = join(RUN, 'onnx', 'checkpoint-3');

const scoring = new ScoringClient({ script: join(ROOT, 'src', 'onnx', 'scoringProcess.ts'), execArgv: ['--import', 'tsx'] });
const worker = new WorkerClient({ python: PYTHON });
const reward = (params: { exportDir: string; texts: string[] }) => scoring.request('reward', params);
let loaded: SamplesFromRunResult;

/** The trainer's ONNX reward function (onnxruntime, Python) on these samples. */
function trainerScores(folder: string, samples: RecordedSample[]): number[] {
  const script = [
    'import json, sys',
    'from rlstudio.export.onnx_reward import OnnxReward',
    'rows = json.load(sys.stdin)',
    'print(json.dumps(OnnxReward(sys.argv[1])(completions=[r["completion"] for r in rows], prompts=[r["prompt"] for r in rows])))',
  ].join('\n');
  return JSON.parse(execFileSync(PYTHON, ['-c', script, folder], { input: JSON.stringify(samples), encoding: 'utf8' })) as number[];
}

before(async () => {
  // A copy of the fixture run whose config (in run.json, as the trainer records it) names an ONNX reward beside exact_answer.
  const root = mkdtempSync(join(tmpdir(), 'rlstudio-onnx-lab-'));
  const run = join(root, 'run');
  cpSync(RUN, run, { recursive: true });
  cpSync(REWARD_EXPORT, join(root, 'config', 'rm'), { recursive: true });
  writeFileSync(join(root, 'config', 'data.jsonl'), '{"question": "What is 3 + 4?", "answer": "7"}\n');
  const manifest = JSON.parse(readFileSync(runPaths(run).manifest, 'utf8')) as { config: Record<string, unknown> };
  manifest.config.rewards = [{ name: 'rm', onnx: 'rm', weight: 2 }, { name: 'exact', ref: 'exact_answer', weight: 1 }];
  writeFileSync(runPaths(run).manifest, JSON.stringify({ ...manifest, configPath: join(root, 'config', 'fixture.rlstudio.yaml') }));
  loaded = await worker.request('samples/fromRun', { runDir: run });
});

after(() => {
  scoring.dispose();
  worker.dispose();
});

test('a run config’s onnx: reward reaches the Lab as an ONNX reward, its folder relative to the config', () => {
  const rm = loaded.rewards.find((r) => r.name === 'rm');
  assert.deepEqual(rm && { ref: rm.ref, onnx: rm.onnx, weight: rm.weight }, { ref: null, onnx: 'rm', weight: 2 });
  assert.equal(onnxExportDir(rm!.onnx!, loaded.baseDir), join(loaded.baseDir, 'rm'));
  assert.equal(loaded.rewards.find((r) => r.name === 'exact')?.onnx, null);
  // The Lab's list: the ONNX reward by its folder, the function by its ref; names already listed stay as they are.
  assert.deepEqual(runRewardFunctions(loaded.rewards, loaded.baseDir, new Set()), [
    { name: 'rm', weight: 2, origin: 'run', enabled: true, ref: `${ONNX_REF}${join(loaded.baseDir, 'rm')}`, onnx: join(loaded.baseDir, 'rm') },
    { name: 'exact', weight: 1, origin: 'run', enabled: true, ref: 'exact_answer' },
  ]);
  assert.deepEqual(runRewardFunctions(loaded.rewards, loaded.baseDir, new Set(['rm'])).map((f) => f.name), ['exact']);
});

test('ONNX rewards are scored in the scoring process with the trainer’s numbers, and add to the total like a function', async () => {
  const folder = onnxExportDir('rm', loaded.baseDir);
  const [rm] = await scoreOnnxRewards([{ name: 'rm', onnx: folder, weight: 2 }], loaded.samples, reward);
  assert.equal(rm.ref, `${ONNX_REF}${folder}`);
  assert.deepEqual(rm.errors, []);
  const expected = trainerScores(folder, loaded.samples);
  assert.equal(rm.scores.length, loaded.samples.length);
  rm.scores.forEach((score, i) => assert.ok(Math.abs(score! - expected[i]) <= 1e-5, `sample ${i}: ${score} vs the trainer's ${expected[i]}`));
  assert.ok(new Set(rm.scores).size > 1, 'different texts score differently');

  const exact = await worker.request('rewards/run', { functions: [{ name: 'exact', ref: 'exact_answer', weight: 1 }], samples: loaded.samples, baseDir: loaded.baseDir });
  const functions = [{ name: 'rm', weight: 2 }, { name: 'exact', weight: 1 }];
  const merged = mergeRuns(exact, { functions: [rm], total: loaded.samples.map(() => null) }, functions)!;
  assert.deepEqual(merged.functions.map((f) => f.name), ['rm', 'exact']);
  merged.total.forEach((total, i) => assert.ok(Math.abs(total! - (2 * rm.scores[i]! + (exact.functions[0].scores[i] ?? 0))) <= 1e-9));
});

test('an ONNX reward that cannot be scored fails alone, saying why; the others keep their scores', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlstudio-onnx-lab-bad-'));
  const results = await scoreOnnxRewards(
    [
      { name: 'missing', onnx: join(dir, 'nothing'), weight: 1 },
      { name: 'policy', onnx: CAUSAL_EXPORT, weight: 1 },
      { name: 'rm', onnx: REWARD_EXPORT, weight: 1 },
    ],
    loaded.samples,
    reward,
  );
  const all = loaded.samples.map((_, i) => i);
  const [missing, policy, rm] = results;
  assert.deepEqual(missing.errors.map((e) => e.indices), [all]);
  assert.match(missing.errors[0].error.message, /cannot score the ONNX reward missing .*no such export folder.*export again/);
  assert.ok(missing.scores.every((s) => s === null));
  assert.match(policy.errors[0].error.message, /cannot score the ONNX reward policy .*causal language model, not a reward model/);
  assert.deepEqual(rm.errors, []);
  assert.ok(rm.scores.every((s) => typeof s === 'number'));
});

test('where the scoring process cannot start (no onnxruntime binary for this platform), the Lab says so for each ONNX reward', async () => {
  // A real fork of an entry that cannot load, as when onnxruntime-node's native binding is absent.
  const dir = mkdtempSync(join(tmpdir(), 'rlstudio-onnx-lab-nobinary-'));
  const entry = join(dir, 'scoring.js');
  writeFileSync(entry, "require('onnxruntime-node-binding-that-is-not-installed');\n");
  const broken = new ScoringClient({ script: entry });
  try {
    const [rm] = await scoreOnnxRewards([{ name: 'rm', onnx: REWARD_EXPORT, weight: 1 }], loaded.samples.slice(0, 2), (p) => broken.request('reward', p));
    assert.equal(rm.errors[0].error.type, 'ScoringCrashedError');
    assert.match(rm.errors[0].error.message, /cannot score the ONNX reward rm .*the scoring process ended \(code 1\).*MODULE_NOT_FOUND/s);
    assert.deepEqual(rm.scores, [null, null]);
  } finally {
    broken.dispose();
  }
});
