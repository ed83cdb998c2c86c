// Rollout documents of evaluation samples (the eval the real `rlstudio eval` recorded in
// test/fixtures/runs/completed-tiny) and of replayed training rollouts; errors that name what is missing.
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EvalSampleReader } from '../../../src/evals/evalReader';
import { heatRanges } from '../../../src/inline/heat';
import { tokenHoverMarkdown } from '../../../src/inline/hoverText';
import { formatAddress, parseAddress, type RolloutAddress } from '../../../src/inline/rolloutAddress';
import { COMPLETION_RULE, PROMPT_RULE, buildRolloutDocument } from '../../../src/inline/rolloutDocument';
import { RolloutSource, SourceError } from '../../../src/inline/rolloutSource';
import { evalPaths, shardFileName } from '../../../src/runs/runFormat';
import { FsRunStore } from '../../../src/runs/runStore';

const FIXTURES = path.resolve(__dirname, '../../fixtures/runs');
const EVAL_ID = '20261129-232237-fixture';

/** A copy of the fixture run to change (files deleted, a replayed step added). */
function copyRun(prefix: string): { root: string; dir: string } {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  const dir = path.join(root, 'completed-tiny');
  cpSync(path.join(FIXTURES, 'completed-tiny'), dir, { recursive: true });
  return { root, dir };
}

describe('evaluation samples as rollout documents', () => {
  const { root, dir } = copyRun('rlstudio-eval-doc-');
  const store = new FsRunStore({ pollMs: 60_000 });
  before(() => store.setRoots([root]));
  after(() => {
    store.dispose();
    rmSync(root, { recursive: true, force: true });
  });
  const address = (change: Partial<Extract<RolloutAddress, { kind: 'eval' }>> = {}): RolloutAddress => ({
    kind: 'eval',
    runDir: dir,
    runName: 'completed-tiny',
    evalId: EVAL_ID,
    checkpoint: 'checkpoint-3',
    promptId: 1,
    sample: 2,
    ...change,
  });

  it('reads the sample through the eval reader and shows it with the header, text and heat of a rollout', async () => {
    const source = new RolloutSource(store);
    const uriAddress = parseAddress(formatAddress(address()).query);
    const loaded = await source.load(uriAddress);
    const samples = await new EvalSampleReader().readSamples(evalPaths(dir, EVAL_ID), 'checkpoint-3', 1);
    const sample = samples.find((s) => s.sampleIndex === 2)!;
    assert.equal(loaded.detail.completion, sample.completion);
    assert.deepEqual(loaded.detail.tokens, sample.tokens);
    assert.deepEqual(loaded.group.map((r) => r.groupIndex), [0, 1, 2, 3]);
    const doc = buildRolloutDocument(loaded.detail, loaded.header);
    const lines = doc.text.split('\n');
    assert.equal(lines[0], `RL Studio evaluation sample · run completed-tiny · eval fixture (${EVAL_ID}) · checkpoint checkpoint-3 · prompt 1 · sample 2 of 4`);
    // The fixture's sample: brittle 0.345 passes the eval's rule (brittle ≥ 0.33).
    assert.equal(lines[1], 'correct (brittle ≥ 0.33) · reward 0.172 (exact 0 · brittle 0.345) · 12 tokens · truncated');
    assert.ok(doc.text.includes(`${PROMPT_RULE}\n${sample.prompt}\n${COMPLETION_RULE}\n`));
    assert.ok(doc.text.endsWith(`${COMPLETION_RULE}\n${sample.completion}`));
    const entropy = heatRanges(doc, loaded.detail, 'entropy');
    assert.equal(entropy.bins.flat().length + doc.ranges.filter((r) => r.start.line === r.end.line && r.start.character === r.end.character).length, doc.ranges.length, 'every visible unit coloured by entropy');
    assert.equal(entropy.noGradient.length, 0, 'an eval sample is not dimmed as untrained');
    assert.equal(heatRanges(doc, loaded.detail, 'advantage').bins.flat().length, 0, 'an eval sample has no advantage');
    const hover = tokenHoverMarkdown({ ...loaded.detail, evaluated: true }, doc.layout.units[0]);
    assert.match(hover, /\| — \(eval\) \| no \|/, 'the mask column says nothing was trained');
    assert.doesNotMatch(hover, /gradient/);

    const wrong = await source.load(address({ promptId: 0, sample: 1 }));
    assert.match(buildRolloutDocument(wrong.detail, wrong.header).text.split('\n')[1], /^not correct \(brittle ≥ 0\.33\) · reward 0 /);
    const base = await source.load(address({ checkpoint: 'base', promptId: 3, sample: 0 }));
    assert.match(base.header.source, /checkpoint base$/);
  });

  it('names what is missing: the eval, the checkpoint, its samples file, the prompt, the sample', async () => {
    const source = new RolloutSource(store);
    const rejects = (a: RolloutAddress, pattern: RegExp) => assert.rejects(source.load(a), (e: Error) => e instanceof SourceError && pattern.test(e.message));
    await rejects(address({ evalId: '20260101-000000-gone' }), /has no eval '20260101-000000-gone' \(.*eval\.json does not exist: the eval was deleted or moved\)/);
    await rejects(address({ evalId: '../x' }), /'\.\.\/x' is not an eval id/);
    await rejects(address({ checkpoint: 'checkpoint-9' }), /did not evaluate checkpoint 'checkpoint-9' \(it evaluated: base, checkpoint-3\)/);
    await rejects(address({ promptId: 99 }), /has no samples of prompt 99/);
    await rejects(address({ sample: 9 }), /has no sample 9 of prompt 1 \(the prompt has 4 samples, 0–3\)/);
    rmSync(evalPaths(dir, EVAL_ID).samples('base'));
    await rejects(address({ checkpoint: 'base' }), /Checkpoint 'base' of the eval 'fixture' has no readable samples \(status done\): .*base\.parquet: no such file/);
  });
});

describe('replayed training rollouts as documents', () => {
  // Step 4: a copy of step 1's shard whose prompt 0 is replayed (age 1, so generated at step 3) and prompt 1 fresh.
  const { root, dir } = copyRun('rlstudio-replay-doc-');
  const rollouts = path.join(dir, 'rollouts');
  const python = path.resolve(__dirname, '../../../.venv/bin/python');
  execFileSync(python, [path.resolve(__dirname, '../../fixtures/add_replay_columns.py'), path.join(rollouts, shardFileName(1)), path.join(rollouts, shardFileName(4)), '--replayed-prompts', '0', '--step', '4']);
  const index = path.join(rollouts, 'prompts.jsonl');
  const first = JSON.parse(readFileSync(index, 'utf8').split('\n')[0]) as { prompts: string[] };
  appendFileSync(index, JSON.stringify({ step: 4, bytes: statSync(path.join(rollouts, shardFileName(4))).size, prompts: first.prompts }) + '\n');
  const store = new FsRunStore({ pollMs: 60_000 });
  before(() => store.setRoots([root]));
  after(() => {
    store.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  it('says "replayed from step N (age k)" in the header of a replayed rollout only', async () => {
    const source = new RolloutSource(store);
    const at = (prompt: number) => ({ kind: 'step' as const, runDir: dir, runName: 'completed-tiny', step: 4, prompt, sample: 1 });
    const replayed = await source.load(at(0));
    const lines = buildRolloutDocument(replayed.detail, replayed.header).text.split('\n');
    assert.match(lines[0], /^RL Studio rollout · run completed-tiny · step 4 · prompt 0 · sample 1 of 4$/);
    assert.equal(lines.find((l) => l.startsWith('replayed')), 'replayed from step 3 (age 1)');
    const fresh = await source.load(at(1));
    assert.ok(!buildRolloutDocument(fresh.detail, fresh.header).text.includes('replayed from'), 'a fresh rollout says nothing of replay');
  });
});
