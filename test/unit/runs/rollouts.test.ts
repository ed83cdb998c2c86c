// The shard reader against shards written by pyarrow with the run-format v1 columns.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { RolloutReader, RolloutShardError, nearestStep } from '../../../src/runs/rollouts';
import { previewOf, shardFileName, stepOfShard } from '../../../src/runs/runFormat';

const PYTHON = join(__dirname, '../../../.venv/bin/python');
const MAKE_SHARD = join(__dirname, 'make_shard.py');

function makeShard(dir: string, args: string[]): string {
  const out = join(dir, `${args.join('_') || 'default'}.parquet`);
  execFileSync(PYTHON, [MAKE_SHARD, out, ...args]);
  return out;
}

describe('rollout shard reader', () => {
  let dir: string;
  let shard: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rlstudio-rollouts-'));
    // 5 prompts × 4 = 20 rows: two row groups of 16 and 4.
    shard = makeShard(dir, ['--step', '7', '--prompts', '5', '--group', '4', '--tokens', '6']);
  });

  it('names shards by zero-padded step', () => {
    assert.equal(shardFileName(42), 'step-00000042.parquet');
    assert.equal(stepOfShard('step-00000042.parquet'), 42);
    assert.equal(stepOfShard('step-42.parquet'), undefined);
  });

  it('finds the nearest recorded step', () => {
    assert.equal(nearestStep([2, 4, 8], 5), 4);
    assert.equal(nearestStep([2, 4, 8], 6), 4);
    assert.equal(nearestStep([2, 4, 8], 7), 8);
    assert.equal(nearestStep([2, 4, 8], 100), 8);
    assert.equal(nearestStep([], 3), undefined);
  });

  it('lists per-rollout summaries without token arrays', async () => {
    const step = await new RolloutReader().readStep(shard);
    assert.equal(step.step, 7);
    assert.equal(step.rollouts.length, 20);
    assert.deepEqual(step.rewardNames, ['accuracy', 'format']);
    assert.equal(step.prompts[3], '<|user|>Question 3: what is 6 x 7?<|assistant|>');
    const r = step.rollouts[17]; // prompt 4, completion 1
    assert.equal(r.promptIndex, 4);
    assert.equal(r.groupIndex, 1);
    assert.equal(r.length, 7);
    assert.equal(r.reward, 2 / 2); // (4 + 1) % 3 / 2
    assert.deepEqual(r.rewards, { accuracy: 1, format: null });
    assert.equal(r.advantage, -0.25);
    assert.equal(r.rewardError, 'ValueError: bad format');
    assert.equal(r.truncated, false);
    assert.equal(step.rollouts[19].truncated, true);
    assert.deepEqual(step.rollouts[16].hintIds, ['kp4']);
    assert.equal(Object.hasOwn(r, 'tokens'), false);
    // entropies of (p=4, g=1, i) are ((28 + 3 + 5i) % 23) / 10
    const expected = [0, 1, 2, 3, 4, 5, 6].map((i) => ((31 + 5 * i) % 23) / 10);
    assert.ok(Math.abs((r.meanEntropy ?? NaN) - expected.reduce((a, b) => a + b) / 7) < 1e-6);
  });

  it('lists from the summary columns alone when the shard has them', async () => {
    const marked = makeShard(dir, ['--step', '7', '--prompts', '5', '--group', '4', '--tokens', '6', '--summaries', 'marked']);
    const step = await new RolloutReader().readStep(marked);
    const r = step.rollouts[17];
    assert.equal(r.length, 1017);
    assert.equal(r.meanEntropy, 9.5);
    assert.equal(r.preview, 'preview 17');
    assert.equal(r.reward, 1);
  });

  it('lists a shard written before the summary columns as it lists a new one', async () => {
    const old = makeShard(dir, ['--step', '7', '--prompts', '5', '--group', '4', '--tokens', '6', '--summaries', 'absent']);
    const reader = new RolloutReader();
    const [before, now] = [await reader.readStep(old), await reader.readStep(shard)];
    assert.equal(before.rollouts[17].preview, now.rollouts[17].preview);
    for (const [i, r] of now.rollouts.entries()) {
      const o = before.rollouts[i];
      assert.equal(o.length, r.length);
      assert.ok(Math.abs((o.meanEntropy ?? NaN) - (r.meanEntropy ?? NaN)) < 1e-6);
      assert.equal(o.preview, r.preview);
    }
    const detail = await reader.readRollout(shard, 3);
    assert.equal(Object.hasOwn(detail, 'preview'), false, 'a detail carries the full completion, not its summary');
  });

  it('previews the first 160 code points, as the trainer does', () => {
    assert.equal(previewOf('😀'.repeat(200)), '😀'.repeat(160));
    assert.equal(previewOf('short'), 'short');
  });

  it('reads one rollout with its token arrays, from the second row group', async () => {
    const d = await new RolloutReader().readRollout(shard, 18);
    assert.equal(d.promptIndex, 4);
    assert.equal(d.groupIndex, 2);
    assert.equal(d.tokens.length, 8);
    assert.equal(d.tokens.join(''), d.completion);
    assert.deepEqual(d.tokenIds.slice(0, 2), [1000 + (6 % 12), 1000 + (7 % 12)]);
    assert.ok(Math.abs(d.entropies[1] - ((28 + 6 + 5) % 23) / 10) < 1e-6);
    assert.ok(Math.abs(d.logprobs[1] - -((4 + 4 + 3) % 17) / 8) < 1e-6);
    assert.deepEqual(
      d.lossMask,
      d.entropies.map((e) => (e >= 1.2 - 1e-6 ? 1 : 0)),
    );
    assert.ok(Math.abs((d.entropyThreshold ?? NaN) - 1.2) < 1e-6);
    assert.deepEqual(d.extras, { p: 4 });
    assert.equal(d.prompt, '<|user|>Question 4: what is 6 x 7?<|assistant|>');
  });

  it('returns a null threshold when every token is in the mask', async () => {
    const path = makeShard(dir, ['--threshold', '-1', '--prompts', '1', '--group', '2']);
    const d = await new RolloutReader().readRollout(path, 1);
    assert.equal(d.entropyThreshold, null);
    assert.ok(d.lossMask.every((m) => m === 1));
  });

  it('reads the token columns of a whole step for statistics', async () => {
    const t = await new RolloutReader().readStepTokens(shard);
    assert.equal(t.tokens.length, 20);
    assert.equal(t.entropies[19].length, 9);
    assert.equal(t.lossMask[0].length, 6);
  });

  it('searches prompt and completion text', async () => {
    const reader = new RolloutReader();
    assert.deepEqual(await reader.search(shard, 'QUESTION 2'), [8, 9, 10, 11]);
    assert.deepEqual(await reader.stepsWithPrompt([{ step: 7, file: shard }], '<|user|>Question 0: what is 6 x 7?<|assistant|>'), [7]);
    assert.deepEqual(await reader.stepsWithPrompt([{ step: 7, file: shard }], 'nope'), []);
  });

  it('names the file and the problem for bad input', async () => {
    const reader = new RolloutReader();
    const garbage = join(dir, 'step-00000001.parquet');
    writeFileSync(garbage, 'not parquet at all');
    await assert.rejects(reader.readStep(garbage), (e: unknown) => e instanceof RolloutShardError && e.message.startsWith(garbage));
    await assert.rejects(reader.readStep(join(dir, 'missing.parquet')), /missing\.parquet: cannot open/);
    await assert.rejects(reader.readRollout(shard, 20), /row 20 is out of range \(the shard has 20 rows\)/);
    const partial = join(dir, 'partial.parquet');
    execFileSync(PYTHON, [
      '-c',
      `import pyarrow as pa, pyarrow.parquet as pq; pq.write_table(pa.table({"step": [1], "prompt": ["x"]}), ${JSON.stringify(partial)})`,
    ]);
    await assert.rejects(reader.readStep(partial), /partial\.parquet: missing columns prompt_index, group_index, completion/);
  });
  it('reads a DPO preference shard (written by the trainer writer): pairs as groups of two, with the DPO columns', async () => {
    const out = join(dir, 'dpo');
    const side = (role: string, g: number, lp: number[], ref: number[]) =>
      `{"step": 3, "prompt_index": 0, "group_index": ${g}, "role": "${role}", "prompt": "p", "completion": "ab", "token_ids": [1, 2], "tokens": ["a", "b"], "logprobs": ${JSON.stringify(lp)}, "ref_logprobs": ${JSON.stringify(ref)}, "implicit_rewards": ${JSON.stringify(lp.map((v, i) => 0.5 * (v - ref[i])))}, "entropies": [1.0, 2.0], "loss_mask": [1, 1], "advantage": None, "reward": 0.1, "rewards": {"implicit": 0.1}, "truncated": False}`;
    execFileSync(PYTHON, [
      '-c',
      `from rlstudio.rollouts import write_shard; import os; os.makedirs(${JSON.stringify(out)}); write_shard(${JSON.stringify(out)}, 3, [${side('chosen', 0, [-1, -2], [-1.5, -2])}, ${side('rejected', 1, [-3, -1], [-2, -1])}], ["implicit"], kind="preference")`,
    ]);
    const reader = new RolloutReader();
    const file = join(out, 'step-00000003.parquet');
    const step = await reader.readStep(file);
    assert.deepEqual(step.rollouts.map((r) => [r.promptIndex, r.groupIndex, r.advantage]), [[0, 0, null], [0, 1, null]]);
    const chosen = await reader.readRollout(file, 0);
    assert.equal(chosen.role, 'chosen');
    assert.deepEqual(chosen.refLogprobs, [-1.5, -2]);
    assert.deepEqual(chosen.implicitRewards, [0.25, 0]);
    const rejected = await reader.readRollout(file, 1);
    assert.equal(rejected.role, 'rejected');
    assert.deepEqual(rejected.implicitRewards, [-0.5, 0]);
    const grpo = await reader.readRollout(shard, 0);
    assert.equal(grpo.role, null);
    assert.equal(grpo.implicitRewards, null);
  });
});
