// "Follow this prompt" from the trainer's rollouts/prompts.jsonl: shards and lines written by the
// trainer's write_shard (write_shards.py); the shard reader opens only the shards the file does not cover.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PromptSidecar, promptKey } from '../../../src/runs/promptSidecar';
import { RolloutReader } from '../../../src/runs/rollouts';
import { RUN_FILES, shardFileName } from '../../../src/runs/runFormat';
import { tempDir } from './helpers';

const PYTHON = join(__dirname, '../../../.venv/bin/python');
const WRITE_SHARDS = join(__dirname, 'write_shards.py');
const MAKE_SHARD = join(__dirname, 'make_shard.py');

const question = (p: number) => `<|user|>Question ${p}: what is 6 x 7?<|assistant|>`;

/** Shards written by the trainer's writer, each followed by its line in prompts.jsonl. */
function writeShards(dir: string, ...shards: [step: number, prompts: number][]): void {
  execFileSync(PYTHON, [WRITE_SHARDS, dir, ...shards.map(([step, prompts]) => `${step}:${prompts}`)]);
}

/** A shard without a line in prompts.jsonl (a run written before the file existed). */
function writeBareShard(dir: string, step: number, prompts: number): void {
  execFileSync(PYTHON, [MAKE_SHARD, join(dir, shardFileName(step)), '--step', String(step), '--prompts', String(prompts), '--group', '2']);
}

/** Replaces a shard's bytes with garbage of the same size: reading it fails, the sidecar still matches it. */
function spoil(dir: string, step: number): void {
  const file = join(dir, shardFileName(step));
  writeFileSync(file, Buffer.alloc(statSync(file).size, 0x41));
}

const shardsOf = (dir: string, steps: number[]) => steps.map((step) => ({ step, file: join(dir, shardFileName(step)) }));

describe('prompt sidecar (rollouts/prompts.jsonl)', () => {
  let root: string;
  let n = 0;
  const rollouts = () => {
    const dir = join(root, `run-${n++}`, 'rollouts');
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  before(() => {
    root = tempDir('rlstudio-prompt-sidecar-');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('keys a prompt by the first 16 hex digits of the SHA-256 of its UTF-8 text', () => {
    assert.equal(promptKey(''), 'e3b0c44298fc1c14');
    assert.equal(promptKey('\u00e9'), '4a99557e4033c353'); // the UTF-8 bytes c3 a9 (Python's hashlib says so)
    assert.equal(promptKey('\u{1f600}'), 'f0443a342c5ef547'); // a surrogate pair in JS: four UTF-8 bytes
    assert.notEqual(promptKey('é'), promptKey('e\u0301'));
  });

  it('answers from prompts.jsonl without opening a shard', async () => {
    const dir = rollouts();
    writeShards(dir, [1, 2], [2, 4], [3, 1]);
    for (const step of [1, 2, 3]) spoil(dir, step); // a shard read would now fail
    const reader = new RolloutReader();
    const shards = shardsOf(dir, [1, 2, 3]);
    assert.deepEqual(await reader.stepsWithPrompt(shards, question(0)), [1, 2, 3]);
    assert.deepEqual(await reader.stepsWithPrompt(shards, question(1)), [1, 2]);
    assert.deepEqual(await reader.stepsWithPrompt(shards, question(3)), [2]);
    assert.deepEqual(await reader.stepsWithPrompt(shards, 'Question 3'), [], 'exact text only');
    assert.equal(reader.footersParsed, 0);
  });

  it('reads the shards of the steps the file has no line for, and runs without the file', async () => {
    const dir = rollouts();
    writeShards(dir, [1, 2], [2, 4]);
    writeBareShard(dir, 3, 3);
    spoil(dir, 1);
    const reader = new RolloutReader();
    assert.deepEqual(await reader.stepsWithPrompt(shardsOf(dir, [1, 2, 3]), question(2)), [2, 3]);
    assert.equal(reader.footersParsed, 1, 'step 3 only');
    assert.deepEqual(await reader.stepsWithPrompt(shardsOf(dir, [1, 2, 3]), question(0)), [1, 2, 3]);
    assert.equal(reader.footersParsed, 1, "step 3's prompts are indexed");

    const older = rollouts();
    writeBareShard(older, 1, 2);
    writeBareShard(older, 2, 1);
    const other = new RolloutReader();
    assert.deepEqual(await other.stepsWithPrompt(shardsOf(older, [1, 2]), question(1)), [1]);
    assert.equal(other.footersParsed, 2);
  });

  it('reads only what was appended, and waits for a half-written last line', async () => {
    const dir = rollouts();
    writeShards(dir, [1, 2]);
    const reader = new RolloutReader();
    assert.deepEqual(await reader.stepsWithPrompt(shardsOf(dir, [1]), question(1)), [1]);
    writeShards(dir, [2, 3]); // a step written since: its line is read
    spoil(dir, 2);
    assert.deepEqual(await reader.stepsWithPrompt(shardsOf(dir, [1, 2]), question(2)), [2]);
    assert.equal(reader.footersParsed, 0);

    writeBareShard(dir, 3, 1); // Question 0 only; its line is being written, and says Question 7
    const line = JSON.stringify({ step: 3, bytes: statSync(join(dir, shardFileName(3))).size, prompts: [promptKey(question(7))] });
    appendFileSync(join(dir, RUN_FILES.promptIndex), line.slice(0, 30));
    assert.deepEqual(await reader.stepsWithPrompt(shardsOf(dir, [1, 2, 3]), question(7)), [], 'the shard tells');
    assert.equal(reader.footersParsed, 1);
    appendFileSync(join(dir, RUN_FILES.promptIndex), `${line.slice(30)}\n`);
    assert.deepEqual(await reader.stepsWithPrompt(shardsOf(dir, [1, 2, 3]), question(7)), [3], 'the line tells');
  });

  it('takes the last line of a step redone after a resume, and the shard until that line is written', async () => {
    const dir = rollouts();
    writeShards(dir, [1, 1], [2, 2]);
    const reader = new RolloutReader();
    assert.deepEqual(await reader.stepsWithPrompt(shardsOf(dir, [1, 2]), question(1)), [2]);
    writeShards(dir, [2, 6]); // step 2 redone: a new shard and a second line for it
    assert.deepEqual(await reader.stepsWithPrompt(shardsOf(dir, [1, 2]), question(5)), [2]);
    assert.equal(reader.footersParsed, 0, 'answered by the second line');

    writeBareShard(dir, 2, 3); // redone again, its line not written yet: the last line is of another shard
    assert.deepEqual(await reader.stepsWithPrompt(shardsOf(dir, [1, 2]), question(5)), []);
    assert.deepEqual(await reader.stepsWithPrompt(shardsOf(dir, [1, 2]), question(2)), [2]);
    assert.equal(reader.footersParsed, 1);
  });

  it('starts over when the file is replaced, and skips lines that are not lines of it', async () => {
    const dir = rollouts();
    writeShards(dir, [1, 2], [2, 2]);
    const file = join(dir, RUN_FILES.promptIndex);
    const [first, second] = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, `${first}\nnot json\n{"step": 2, "bytes": 1, "prompts": ["xyz"]}\n`);
    const reader = new RolloutReader();
    const shards = shardsOf(dir, [1, 2]);
    assert.deepEqual(await reader.stepsWithPrompt(shards, question(1)), [1, 2]);
    assert.equal(reader.footersParsed, 1, 'step 2 from its shard');
    unlinkSync(file);
    writeFileSync(file, `${second}\n`);
    spoil(dir, 1);
    await assert.rejects(reader.stepsWithPrompt(shards, question(1)), /not a readable Parquet file/, 'step 1 is not covered now');
  });

  it('holds at most maxPrompts keys, dropping the steps read first', async () => {
    const dir = rollouts();
    writeShards(dir, [1, 2], [2, 2], [3, 1]);
    const sidecar = new PromptSidecar(join(dir, RUN_FILES.promptIndex), 3);
    await sidecar.refresh();
    assert.equal(sidecar.held, 3);
    const size = (step: number) => statSync(join(dir, shardFileName(step))).size;
    assert.equal(sidecar.holds(1, size(1), promptKey(question(0))), undefined, 'dropped');
    assert.equal(sidecar.holds(2, size(2), promptKey(question(1))), true);
    assert.equal(sidecar.holds(3, size(3), promptKey(question(1))), false);
    assert.equal(sidecar.holds(3, size(3) + 1, promptKey(question(0))), undefined, 'a line of another shard');

    const reader = new RolloutReader(4, 1_000_000, 3);
    spoil(dir, 2);
    spoil(dir, 3);
    assert.deepEqual(await reader.stepsWithPrompt(shardsOf(dir, [1, 2, 3]), question(1)), [1, 2]);
    assert.equal(reader.footersParsed, 1, 'step 1 from its shard');
  });
});
