// Contract test: the reader over run directories written by the real trainer (test/fixtures/runs/).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { promptKey } from '../../../src/runs/promptSidecar';
import { runPaths } from '../../../src/runs/runFormat';
import { RolloutReader } from '../../../src/runs/rollouts';
import { RunReader } from '../../../src/runs/runReader';
import { FsRunStore } from '../../../src/runs/runStore';

const FIXTURES = path.resolve(__dirname, '../../fixtures/runs');

test('completed-tiny: status, metrics, rollouts and checkpoints as the trainer wrote them', async () => {
  const dir = path.join(FIXTURES, 'completed-tiny');
  const run = new RunReader(dir);
  await run.refresh();
  assert.deepEqual(run.problems(), []);
  assert.equal(run.manifest?.format, 'rlstudio.run/1');
  assert.equal(run.derived.status, 'completed');
  const metricLines = fs.readFileSync(runPaths(dir).metrics, 'utf8').trim().split('\n');
  assert.equal(run.metrics.length, metricLines.length);
  const last = JSON.parse(metricLines.at(-1)!) as { step: number; values: Record<string, number | null> };
  assert.equal(run.metrics.steps().at(-1), last.step);
  assert.ok(run.metricNames().includes('reward'));
  assert.equal(run.metrics.latest('reward'), [...metricLines].reverse().map((l) => JSON.parse(l).values.reward).find((v) => typeof v === 'number'));
  const shards = fs.readdirSync(runPaths(dir).rollouts).flatMap((f) => /^step-(\d+)\.parquet$/.exec(f)?.[1] ?? []).map(Number); // any step-N shard on disk
  assert.deepEqual(run.recordedSteps(), shards.sort((a, b) => a - b));
  assert.deepEqual(run.checkpoints().map((c) => c.step), [run.manifest!.maxSteps]);
  assert.equal(run.lastStep(), run.manifest!.maxSteps);
});

test('completed-tiny: prompts.jsonl has a line per shard with the keys of its prompts', async () => {
  const run = new RunReader(path.join(FIXTURES, 'completed-tiny'));
  await run.refresh();
  const lines = fs.readFileSync(runPaths(run.dir).promptIndex, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const reader = new RolloutReader();
  const expected = await Promise.all(
    run.recordedSteps().map(async (step) => {
      const file = run.rolloutsFile(step);
      const prompts = Object.values((await reader.readStep(file)).prompts);
      return { step, bytes: fs.statSync(file).size, prompts: [...new Set(prompts.map(promptKey))] };
    }),
  );
  assert.deepEqual(lines, expected);
  const prompt = (await reader.readStep(run.rolloutsFile(1))).prompts[0];
  const shards = run.recordedSteps().map((step) => ({ step, file: run.rolloutsFile(step) }));
  const fresh = new RolloutReader();
  assert.ok((await fresh.stepsWithPrompt(shards, prompt)).includes(1));
  assert.equal(fresh.footersParsed, 0, 'answered by prompts.jsonl');
});

test('failed-abort: failed with the error triple from run.json', async () => {
  const run = new RunReader(path.join(FIXTURES, 'failed-abort'));
  await run.refresh();
  assert.equal(run.derived.status, 'failed');
  assert.equal(run.derived.reason, undefined, 'the trainer wrote its own end status');
  assert.equal(run.derived.error?.type, 'RewardAbort');
  assert.match(run.derived.error?.message ?? '', /brittle/);
  assert.ok(run.recentEvents().some((e) => e.type === 'error' || e.type === 'reward_error'));
});

test('the store finds both fixture runs', async () => {
  const store = new FsRunStore({ pollMs: 60_000 });
  try {
    await store.setRoots([FIXTURES]);
    assert.deepEqual(store.runs().map((r) => r.id).sort(), ['completed-tiny', 'failed-abort']);
  } finally {
    store.dispose();
  }
});
