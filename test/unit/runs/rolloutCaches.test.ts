// What the shard reader keeps between calls: parsed footers and the prompt index, both bounded, both
// keyed by the shard's stamp (mtime and size) so that a shard rewritten after a resume is read again.
// Shards are written by the trainer's schema (test/unit/runs/make_shard.py).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PromptIndex } from '../../../src/runs/promptIndex';
import { promptNumber } from '../../../src/runs/promptSidecar';
import { RolloutReader, RolloutShardError } from '../../../src/runs/rollouts';
import { tempDir } from './helpers';

const PYTHON = join(__dirname, '../../../.venv/bin/python');
const MAKE_SHARD = join(__dirname, 'make_shard.py');
const STAMP_TIME = 1_800_000_000; // a fixed mtime, so a file can be rewritten with the same stamp

const question = (p: number) => `<|user|>Question ${p}: what is 6 x 7?<|assistant|>`;

/** A shard of `prompts` prompts (Question 0 … prompts-1) at a fixed mtime. */
function makeShard(file: string, step: number, prompts: number): string {
  execFileSync(PYTHON, [MAKE_SHARD, file, '--step', String(step), '--prompts', String(prompts), '--group', '2']);
  utimesSync(file, STAMP_TIME, STAMP_TIME);
  return file;
}

/** Replaces the file's bytes with garbage of the same size and the same mtime: the same stamp. */
function spoilKeepingStamp(file: string): void {
  writeFileSync(file, Buffer.alloc(statSync(file).size, 0x41));
  utimesSync(file, STAMP_TIME, STAMP_TIME);
}

describe('prompt index', () => {
  it('keeps the most recently used shards within its bound', () => {
    const index = new PromptIndex(5);
    index.set('a', 's1', Float64Array.of(1, 2));
    index.set('b', 's1', Float64Array.of(3, 4));
    assert.deepEqual([...index.get('a', 's1')!], [1, 2]); // a is now the most recent
    index.set('c', 's1', Float64Array.of(5, 6));
    assert.equal(index.get('b', 's1'), undefined, 'b, the least recently used, made room');
    assert.deepEqual([...index.get('a', 's1')!], [1, 2]);
    assert.equal(index.held, 4);
  });

  it('forgets a shard whose stamp changed and replaces its entry', () => {
    const index = new PromptIndex(10);
    index.set('a', 's1', Float64Array.of(1, 2, 3));
    assert.equal(index.get('a', 's2'), undefined);
    index.set('a', 's2', Float64Array.of(4));
    assert.equal(index.held, 1);
    assert.equal(index.get('a', 's1'), undefined);
  });

  it('keeps the newest shard even when it alone exceeds the bound', () => {
    const index = new PromptIndex(2);
    index.set('a', 's', Float64Array.of(1));
    index.set('b', 's', Float64Array.of(1, 2, 3));
    assert.equal(index.get('a', 's'), undefined);
    assert.equal(index.get('b', 's')?.length, 3);
  });

  it('hashes text to distinct integers a double holds exactly', () => {
    const hashes = new Set([question(0), question(1), question(10), '', 'é', 'e\u0301'].map(promptNumber));
    assert.equal(hashes.size, 6);
    for (const h of hashes) assert.ok(Number.isSafeInteger(h) && h >= 0);
    assert.equal(promptNumber(question(3)), promptNumber(`<|user|>Question ${3}: what is 6 x 7?<|assistant|>`));
  });
});

describe('rollout reader caches', () => {
  let dir: string;
  before(() => {
    dir = tempDir('rlstudio-rollout-caches-');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('follows a prompt across shards, reading each shard once until it changes', async () => {
    const a = makeShard(join(dir, 'a.parquet'), 1, 2); // Questions 0, 1
    const b = makeShard(join(dir, 'b.parquet'), 2, 4); // Questions 0 … 3
    const c = makeShard(join(dir, 'c.parquet'), 3, 1); // Question 0
    const shards = [
      { step: 1, file: a },
      { step: 2, file: b },
      { step: 3, file: c },
    ];
    const reader = new RolloutReader();
    assert.deepEqual(await reader.stepsWithPrompt(shards, question(0)), [1, 2, 3]);
    assert.deepEqual(await reader.stepsWithPrompt(shards, question(1)), [1, 2]);
    assert.deepEqual(await reader.stepsWithPrompt(shards, question(3)), [2]);
    assert.deepEqual(await reader.stepsWithPrompt(shards, 'Question 3'), [], 'exact text only');
    const fresh = new RolloutReader(); // calls that overlap while the shards are first indexed
    const overlapping = await Promise.all([0, 1, 2, 3].map((p) => fresh.stepsWithPrompt(shards, question(p))));
    assert.deepEqual(overlapping, [[1, 2, 3], [1, 2], [2], [2]]);

    // Indexed: the shard's bytes are not read again while its stamp is the same.
    spoilKeepingStamp(b);
    assert.deepEqual(await reader.stepsWithPrompt(shards, question(3)), [2]);
    // Rewritten (a resume redoes the step): read again.
    makeShard(b, 2, 6);
    utimesSync(b, STAMP_TIME + 1, STAMP_TIME + 1);
    assert.deepEqual(await reader.stepsWithPrompt(shards, question(5)), [2]);
    spoilKeepingStamp(a);
    utimesSync(a, STAMP_TIME + 1, STAMP_TIME + 1);
    await assert.rejects(
      reader.stepsWithPrompt(shards, question(0)),
      (e: unknown) => e instanceof RolloutShardError && e.message.startsWith(`${a}: not a readable Parquet file`),
    );
  });

  it('drops the least recently indexed shards past its bound and reads them again', async () => {
    const a = makeShard(join(dir, 'bound-a.parquet'), 1, 2);
    const b = makeShard(join(dir, 'bound-b.parquet'), 2, 2);
    const reader = new RolloutReader(8, 3); // room for one shard's 2 prompts, not two
    assert.deepEqual(
      await reader.stepsWithPrompt(
        [
          { step: 1, file: a },
          { step: 2, file: b },
        ],
        question(1),
      ),
      [1, 2],
    );
    spoilKeepingStamp(a);
    spoilKeepingStamp(b);
    assert.deepEqual(await reader.stepsWithPrompt([{ step: 2, file: b }], question(1)), [2], 'b is still indexed');
    await assert.rejects(reader.stepsWithPrompt([{ step: 1, file: a }], question(1)), /bound-a\.parquet: /);
  });

  it('reads a shard again when it is rewritten, and keeps at most maxFooters footers', async () => {
    const a = makeShard(join(dir, 'footer-a.parquet'), 1, 2);
    const b = makeShard(join(dir, 'footer-b.parquet'), 2, 2);
    const reader = new RolloutReader(1);
    assert.equal(await reader.rowCount(a), 4);
    makeShard(a, 1, 3);
    utimesSync(a, STAMP_TIME + 1, STAMP_TIME + 1);
    assert.equal(await reader.rowCount(a), 6, 'a new stamp: the new footer');
    // With one footer kept, reading b drops a's: a spoiled a (same stamp) then fails to parse.
    assert.equal(await reader.rowCount(b), 4);
    spoilKeepingStamp(b);
    assert.equal(await reader.rowCount(b), 4, "b's footer is cached");
    spoilKeepingStamp(a);
    utimesSync(a, STAMP_TIME + 1, STAMP_TIME + 1);
    await assert.rejects(reader.rowCount(a), /footer-a\.parquet: not a readable Parquet file/);
  });

  it('answers concurrent first reads of a shard from one footer', async () => {
    const a = makeShard(join(dir, 'concurrent.parquet'), 4, 3);
    const reader = new RolloutReader();
    const [step, rollout, rows] = await Promise.all([reader.readStep(a), reader.readRollout(a, 5), reader.rowCount(a)]);
    assert.equal(step.rollouts.length, 6);
    assert.equal(rollout.promptIndex, 2);
    assert.equal(rows, 6);
  });

  it('does not keep a failed read: the same file read again succeeds', async () => {
    const good = makeShard(join(dir, 'flaky-good.parquet'), 5, 1);
    const file = join(dir, 'flaky.parquet');
    const bytes = readFileSync(good);
    writeFileSync(file, Buffer.alloc(bytes.length, 0x41)); // e.g. read while a copy was under way
    utimesSync(file, STAMP_TIME, STAMP_TIME);
    const reader = new RolloutReader();
    await assert.rejects(reader.readStep(file), /flaky\.parquet: not a readable Parquet file/);
    writeFileSync(file, bytes);
    utimesSync(file, STAMP_TIME, STAMP_TIME); // the same stamp as the failed read
    assert.equal((await reader.readStep(file)).step, 5);
  });
});
