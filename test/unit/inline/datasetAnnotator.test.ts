// Dataset line annotations over the run the real trainer recorded (test/fixtures/runs/completed-tiny)
// and the dataset it trained on (the rows of trainer/scripts/make_fixture_run.py).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DatasetAnnotator } from '../../../src/inline/datasetAnnotator';
import { StepScoresCache, dataSpec, formatTemplate, learnWrapper, lineText } from '../../../src/inline/datasetIndex';
import { RolloutSource, SourceError } from '../../../src/inline/rolloutSource';
import { RolloutReader } from '../../../src/runs/rollouts';
import { shardFileName } from '../../../src/runs/runFormat';
import { FsRunStore } from '../../../src/runs/runStore';

const FIXTURES = path.resolve(__dirname, '../../fixtures/runs');
const PAIRS = [[1, 2], [2, 2], [3, 4], [5, 1], [6, 3], [7, 7], [8, 1], [9, 0]];
const DATASET = PAIRS.map(([a, b]) => JSON.stringify({ question: `What is ${a} + ${b}?`, answer: String(a + b) }));

describe('dataset lines', () => {
  it('reads the prompt text of a line as the trainer does; a line that is not JSON has none', () => {
    const spec = { path: '/d.jsonl', promptColumn: 'prompt', template: '{question} Answer in <answer></answer> tags.' };
    assert.equal(lineText(DATASET[0], spec), 'What is 1 + 2? Answer in <answer></answer> tags.');
    assert.equal(lineText('not json', spec), undefined);
    assert.equal(lineText('{"question": ', spec), undefined);
    assert.equal(lineText('[1, 2]', spec), undefined);
    assert.equal(lineText('{"prompt": "hi"}', { ...spec, template: null }), 'hi');
    assert.equal(lineText('{"prompt": ["a"]}', { ...spec, template: null }), undefined);
    assert.equal(formatTemplate('{{x}} {a} {n}', { a: 'A', n: 3 }), '{x} A 3');
    assert.equal(formatTemplate('{a:>3}', { a: 'A' }), undefined, 'format specs are not guessed');
    assert.equal(formatTemplate('{f}', { f: 0.5 }), undefined, 'floats print differently in Python');
  });

  it('learns the chat template around dataset texts from shard prompts', () => {
    const wrap = (t: string) => `<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n${t}<|im_end|>\n<|im_start|>assistant\n`;
    const texts = ['What is 1 + 2?', 'What is 1 + 2? Twice', 'Name a colour'];
    assert.deepEqual(learnWrapper([wrap(texts[1]), wrap(texts[2])], texts), {
      prefix: '<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n',
      suffix: '<|im_end|>\n<|im_start|>assistant\n',
    });
    assert.equal(learnWrapper(['unrelated'], texts), undefined);
  });
});

describe('annotating the fixture run', () => {
  const store = new FsRunStore({ pollMs: 60_000 });
  before(() => store.setRoots([FIXTURES]));
  after(() => store.dispose());

  it('finds the latest step that sampled each line and its numbers, by the run’s correctness reward', async () => {
    const run = store.get('completed-tiny')!;
    const reader = new RolloutReader();
    const annotator = new DatasetAnnotator(run, reader, new StepScoresCache(reader));
    assert.equal(path.basename(dataSpec(run)!.path), 'data.jsonl');
    assert.deepEqual(annotator.correctness, { name: 'exact', because: 'built-in exact_answer' });
    const lines = ['not json', ...DATASET].map((text, line) => ({ line, text }));
    const found = await annotator.annotate(lines, () => lines.map((l) => l.text));
    // 3 steps × 2 prompts: six of the eight questions were sampled, each once.
    assert.equal(found.length, 6);
    assert.ok(found.every((a) => a.line > 0), 'the non-JSON line has no annotation');
    const steps = await Promise.all(run.recordedSteps().map(async (s) => ({ s, rows: await reader.readScores(run.rolloutsFile(s)) })));
    for (const a of found) {
      const question = JSON.parse(lines[a.line].text).question as string;
      const expected = steps.flatMap(({ s, rows }) => rows.filter((r) => r.prompt.includes(`${question} Answer`)).map((r) => ({ s, r })));
      assert.deepEqual(a.steps, [...new Set(expected.map((e) => e.s))]);
      const rewards = expected.map((e) => e.r.reward).filter((r): r is number => r !== null);
      assert.equal(a.latest.samples, expected.length);
      assert.ok(Math.abs(a.latest.reward! - rewards.reduce((x, y) => x + y, 0) / rewards.length) < 1e-9);
      assert.equal(a.latest.solved, expected.filter((e) => e.r.rewards.exact === 1).length);
      assert.match(a.text, new RegExp(`^step ${a.latest.step} · ${a.latest.solved}/4 solved · reward `));
    }
  });

  it('opens a rollout by its address, and says why when the run or step is gone', async () => {
    const source = new RolloutSource(store);
    const run = store.get('completed-tiny')!;
    const loaded = await source.load({ kind: 'step', runDir: run.dir, runName: run.name(), step: 2, prompt: 1, sample: 3 });
    assert.equal(loaded.detail.groupIndex, 3);
    assert.equal(loaded.detail.promptIndex, 1);
    assert.deepEqual(loaded.group.map((r) => r.groupIndex), [0, 1, 2, 3]);
    const gone = { kind: 'step' as const, runDir: path.join(FIXTURES, 'deleted-run'), runName: 'x', step: 1, prompt: 0, sample: 0 };
    await assert.rejects(source.load(gone), (e: Error) => e instanceof SourceError && /does not exist any more/.test(e.message));
    await assert.rejects(source.load({ ...gone, runDir: run.dir, step: 99 }), /no rollouts recorded at step 99/);
    await assert.rejects(source.load({ ...gone, runDir: run.dir, step: 1, sample: 9 }), /no sample 9 of prompt 0/);
  });
});

describe('annotating a run with rollout replay', () => {
  // The fixture run plus a step 4 that only replayed step 1's two groups (every row `replayed`), as
  // the trainer records it: a shard of step 4 holding those rows and a prompts.jsonl line naming them.
  const root = mkdtempSync(path.join(tmpdir(), 'rlstudio-replay-annotate-'));
  const dir = path.join(root, 'completed-tiny');
  cpSync(path.join(FIXTURES, 'completed-tiny'), dir, { recursive: true });
  const rollouts = path.join(dir, 'rollouts');
  const python = path.resolve(__dirname, '../../../.venv/bin/python');
  const addReplay = path.resolve(__dirname, '../../fixtures/add_replay_columns.py');
  execFileSync(python, [addReplay, path.join(rollouts, shardFileName(1)), path.join(rollouts, shardFileName(4)), '--replayed-prompts', '0,1', '--step', '4']);
  const index = path.join(rollouts, 'prompts.jsonl');
  const first = JSON.parse(readFileSync(index, 'utf8').split('\n')[0]) as { prompts: string[] };
  appendFileSync(index, JSON.stringify({ step: 4, bytes: statSync(path.join(rollouts, shardFileName(4))).size, prompts: first.prompts }) + '\n');
  const store = new FsRunStore({ pollMs: 60_000 });
  before(() => store.setRoots([root]));
  after(() => store.dispose());

  it('counts a replayed group at the step that generated it, not the step that replayed it', async () => {
    const run = store.get('completed-tiny')!;
    assert.ok(run.recordedSteps().includes(4));
    const reader = new RolloutReader();
    const annotator = new DatasetAnnotator(run, reader, new StepScoresCache(reader));
    const lines = DATASET.map((text, line) => ({ line, text }));
    const found = await annotator.annotate(lines, () => DATASET);
    const step1 = (await reader.readScores(run.rolloutsFile(1))).map((r) => r.prompt);
    const replayedLines = found.filter((a) => step1.some((p) => p.includes(`${JSON.parse(DATASET[a.line]).question} Answer`)));
    assert.equal(replayedLines.length, 2, "step 1's two questions");
    for (const a of replayedLines) {
      assert.deepEqual(a.steps, [1, 4], 'the index names both steps');
      assert.equal(a.latest.step, 1, 'the latest result is the generating step');
      assert.equal(a.latest.samples, 4, 'one group, not the group twice');
      assert.match(a.text, /^step 1 · /);
    }
  });
});
