// The eval reader against eval folders written by test/unit/evals/write_eval.py (the trainer's shard
// schema and atomic writer), broken copies of them, and every eval checked into the fixture runs.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { meanPassAtK } from '../../../src/common/passAtK';
import { evalPaths, parseCrossScoreName } from '../../../src/runs/runFormat';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { EvalSampleReader, listEvals, rangeFromStatistics, readEval, type EvalPaths } from '../../../src/evals/evalReader';
import { tempDir } from '../runs/helpers';

const ROOT = path.join(__dirname, '../../..');
const PYTHON = path.join(ROOT, '.venv/bin/python');
const WRITE_EVAL = path.join(__dirname, 'write_eval.py');
const FIXTURE_RUNS = path.join(ROOT, 'test/fixtures/runs');

export function writeEval(runDir: string, id: string, ...args: string[]): EvalPaths {
  execFileSync(PYTHON, [WRITE_EVAL, runDir, id, ...args]);
  return evalPaths(runDir, id);
}

describe('eval reader', () => {
  let run: string;
  let done: EvalPaths;
  before(() => {
    run = tempDir('rlstudio-evals-');
    done = writeEval(run, '20261129-220000-done', '--prompts', '6', '--samples', '4', '--checkpoints', 'base,checkpoint-3', '--cross');
    writeEval(run, '20261129-230000-running', '--checkpoints', 'base,checkpoint-3,checkpoint-6', '--done', '1', '--status', 'running');
    writeEval(run, '20261129-235900-starting', '--done', '0', '--status', 'running');
  });

  it('lists the evals of a run, newest first, with unknown fields ignored', async () => {
    const { evals, problems } = await listEvals(run);
    assert.deepEqual(problems, []);
    assert.deepEqual(evals.map((e) => e.id), ['20261129-235900-starting', '20261129-230000-running', '20261129-220000-done']);
    const e = evals[2];
    assert.equal(e.status, 'completed');
    assert.equal(e.name, 'done');
    assert.deepEqual(e.params.k, [1, 2, 4]);
    assert.equal(e.params.samples, 4);
    assert.equal(e.promptSource, '10% of the training data (held out)');
    assert.deepEqual(e.passWhen, { reward: 'exact_answer', atLeast: 1, chosenBy: 'default' });
    assert.deepEqual(e.checkpoints.map((c) => [c.name, c.status, c.samplesDone]), [['base', 'done', 24], ['checkpoint-3', 'done', 24]]);
    assert.equal(Object.hasOwn(e, 'someNewField'), false);
    assert.deepEqual(evals[1].checkpoints.map((c) => c.status), ['done', 'running', 'pending']);
  });

  it('a run without evals, and an eval folder without eval.json yet, are not problems', async () => {
    assert.deepEqual(await listEvals(tempDir()), { evals: [], problems: [] });
    fs.mkdirSync(path.join(run, 'evals', '20261130-000000-new'));
    try {
      const { evals, problems } = await listEvals(run);
      assert.equal(evals.length, 3);
      assert.deepEqual(problems, []);
    } finally {
      fs.rmdirSync(path.join(run, 'evals', '20261130-000000-new'));
    }
  });

  it('reads summary, prompts and cross-score files; the summary agrees with pass@k recomputed from its counts', async () => {
    const contents = await readEval(done);
    assert.deepEqual(contents.problems, []);
    assert.equal(contents.prompts.length, 6);
    assert.deepEqual(contents.prompts[2], { promptId: 2, prompt: 'Question 2: what is 2 + 42? <script>alert(2)</script>', answer: '44' });
    const summary = contents.summary!;
    assert.deepEqual(summary.k, [1, 2, 4]);
    assert.deepEqual(Object.keys(summary.checkpoints), ['base', 'checkpoint-3']);
    assert.equal(summary.prompts.length, 6);
    for (const name of ['base', 'checkpoint-3']) {
      const counts = summary.prompts.map((p) => ({ c: p.correct[name], n: p.n[name] }));
      for (const k of summary.k) {
        assert.ok(Math.abs(meanPassAtK(counts, k)! - summary.checkpoints[name].passAtK[String(k)]) < 1e-12, `${name} pass@${k}`);
      }
    }
    assert.ok(summary.checkpoints.base.rewardErrors > 0);
    assert.deepEqual(contents.crossScores, [{ checkpoint: 'checkpoint-3', scorer: 'base' }]);
    const running = await readEval(evalPaths(run, '20261129-235900-starting'));
    assert.equal(running.summary, null);
    assert.deepEqual(running.problems, []);
  });

  it('reads one prompt’s samples with their tokens, correctness and reward errors', async () => {
    const reader = new EvalSampleReader();
    const samples = await reader.readSamples(done, 'checkpoint-3', 4);
    assert.deepEqual(samples.map((s) => s.sampleIndex), [0, 1, 2, 3]);
    const s = samples[1]; // p=4, s=1, j=1: 8 + 1 tokens
    assert.equal(s.promptId, 4);
    assert.equal(s.tokens.length, 9);
    assert.equal(s.tokens.join(''), s.completion);
    assert.equal(s.logprobs.length, 9);
    assert.ok(Math.abs(s.entropies[0] - ((4 * 7 + 3 + 1) % 23) / 10) < 1e-6);
    // checkpoint 1: (p * 7 + s * 3 + 5) % 11 < 5 - p % 4  →  (28 + 3 + 5) % 11 = 3 < 5: correct
    assert.equal(s.correct, true);
    assert.equal(s.rewards.exact_answer, 1);
    assert.equal(samples[3].truncated, true);
    const withError = (await reader.readSamples(done, 'base', 2)).find((x) => x.sampleIndex === 3)!; // (2 + 3 + 0) % 13 == 5
    assert.equal(withError.rewardError, 'format: ValueError: bad output');
    assert.equal(withError.correct, false);
    assert.deepEqual(await reader.readSamples(done, 'base', 999), []);
  });

  it('finds a prompt’s rows by the prompt_id statistics, and without them by the prompt_id column', async () => {
    const bare = writeEval(tempDir('rlstudio-evals-nostats-'), '20261129-220000-bare', '--prompts', '6', '--samples', '4', '--no-statistics');
    const reader = new EvalSampleReader();
    for (const promptId of [0, 3, 5]) {
      const withStats = await reader.readSamples(done, 'base', promptId);
      const without = await reader.readSamples(bare, 'base', promptId);
      assert.equal(withStats.length, 4);
      assert.deepEqual(without, withStats);
    }
    assert.deepEqual(await reader.readSamples(bare, 'base', 42), []);
    // 24 rows in row groups of 16: prompts 0–3 in the first, 4–5 in the second.
    const metadata = async (paths: EvalPaths) => parquetMetadataAsync(await asyncBufferFromFile(paths.samples('base')));
    assert.deepEqual(rangeFromStatistics(await metadata(done), 3), { start: 0, end: 16 });
    assert.deepEqual(rangeFromStatistics(await metadata(done), 5), { start: 16, end: 24 });
    assert.equal(rangeFromStatistics(await metadata(done), 42), null);
    assert.equal(rangeFromStatistics(await metadata(bare), 3), undefined);
  });

  it('reads cross-scores aligned with the samples they score', async () => {
    const reader = new EvalSampleReader();
    const samples = await reader.readSamples(done, 'checkpoint-3', 1);
    const scores = await reader.readCrossScores(done, 'checkpoint-3', 'base', 1);
    assert.equal(scores.length, samples.length);
    assert.deepEqual(scores[2].tokenIds, samples[2].tokenIds);
    assert.ok(Math.abs(scores[2].logprobs[1] - (samples[2].logprobs[1] - 0.25)) < 1e-6);
  });

  it('names the file and the reason when something is wrong', async () => {
    const broken = tempDir('rlstudio-evals-broken-');
    const dir = writeEval(broken, '20261129-220000-a', '--prompts', '3');
    writeEval(broken, '20261129-220001-b', '--prompts', '3');
    writeEval(broken, '20261129-220002-c', '--prompts', '3');
    fs.writeFileSync(path.join(broken, 'evals/20261129-220000-a/eval.json'), '{"format": "rlstudio.eval/1", "checkpo');
    fs.writeFileSync(path.join(broken, 'evals/20261129-220001-b/eval.json'), '');
    fs.writeFileSync(path.join(broken, 'evals/20261129-220002-c/eval.json'), '{"format": "rlstudio.eval/1"}');
    const { evals, problems } = await listEvals(broken);
    assert.equal(evals.length, 0);
    assert.deepEqual(
      problems.map((p) => [path.relative(broken, p.file), p.message.replace(/\(.*\)/, '(…)')]),
      [
        ['evals/20261129-220002-c/eval.json', "field 'checkpoints' is missing or not a list"],
        ['evals/20261129-220001-b/eval.json', 'the file is empty'],
        ['evals/20261129-220000-a/eval.json', 'not valid JSON (…)'],
      ],
    );
    fs.appendFileSync(dir.prompts, 'nonsense\n{"prompt_id": 7, "prompt": "half');
    fs.writeFileSync(dir.summary, '{"format": "something/else"}');
    const contents = await readEval(dir);
    assert.equal(contents.prompts.length, 3); // the half-written last line is waited for, not an error
    assert.deepEqual(contents.problems.map((p) => [path.basename(p.file), p.line, p.message.replace(/\(.*\)$/, '(…)').replace(/^not JSON: .*/, 'not JSON')]), [
      ['eval.json', undefined, 'not valid JSON (…)'],
      ['summary.json', undefined, "format 'something/else' is not an eval summary (…)"],
      ['prompts.jsonl', 4, 'not JSON'],
    ]);
    const reader = new EvalSampleReader();
    await assert.rejects(reader.readSamples(dir, 'checkpoint-9', 0), /checkpoint-9\.parquet: no such file/);
    fs.writeFileSync(dir.samples('base'), 'PAR1 not really');
    await assert.rejects(reader.readSamples(dir, 'base', 0), /base\.parquet: not a readable Parquet file/);
    await assert.rejects(reader.readSamples(dir, '../../etc', 0), /not a checkpoint name/);
    assert.throws(() => dir.crossScores('base', '..'), /not a checkpoint name/);
    assert.throws(() => evalPaths(broken, '../x'), /not an eval id/);
    assert.equal(parseCrossScoreName('base.scored-by-checkpoint-3.parquet')?.scorer, 'checkpoint-3');
    assert.equal(parseCrossScoreName('base.parquet'), undefined);
  });

  it('reads every eval checked into the fixture runs (made by `rlstudio eval`)', async () => {
    const runs = fs.readdirSync(FIXTURE_RUNS).map((r) => path.join(FIXTURE_RUNS, r)).filter((r) => fs.existsSync(path.join(r, 'evals')));
    assert.ok(runs.length > 0, 'the fixture run completed-tiny holds a real eval (trainer/scripts/make_fixture_run.py)');
    const reader = new EvalSampleReader();
    for (const runDir of runs) {
      const { evals, problems } = await listEvals(runDir);
      assert.deepEqual(problems, []);
      assert.ok(evals.length > 0);
      for (const e of evals) {
        const contents = await readEval(evalPaths(runDir, e.id));
        assert.deepEqual(contents.problems, []);
        assert.ok(contents.summary && contents.prompts.length > 0);
        for (const c of e.checkpoints.filter((x) => x.status === 'done')) {
          const counts = contents.summary.prompts.map((p) => ({ c: p.correct[c.name], n: p.n[c.name] }));
          for (const k of contents.summary.k) {
            assert.ok(Math.abs(meanPassAtK(counts, k)! - contents.summary.checkpoints[c.name].passAtK[String(k)]) < 1e-12);
          }
          const samples = await reader.readSamples(evalPaths(runDir, e.id), c.name, contents.prompts[0].promptId);
          assert.equal(samples.length, contents.summary.prompts[0].n[c.name]);
          assert.equal(samples.filter((s) => s.correct).length, contents.summary.prompts[0].correct[c.name]);
          for (const s of samples) assert.equal(s.tokens.length, s.logprobs.length);
        }
      }
    }
  });
});
