// Rollout replay's shard columns, `replayed` (bool) and `age` (int32), as the reader maps them: a shard of
// the fixture run copied by pyarrow with the two columns (test/fixtures/add_replay_columns.py), and the
// fixture's own shard, written before the columns existed, whose rows read as fresh (false, age 0).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { RolloutReader } from '../../../src/runs/rollouts';
import { COLUMNS, REPLAY_COLUMNS, REQUIRED_COLUMNS, shardFileName, toRow } from '../../../src/runs/runFormat';

const ROOT = join(__dirname, '../../..');
const PYTHON = join(ROOT, '.venv/bin/python');
const ADD_REPLAY = join(ROOT, 'test/fixtures/add_replay_columns.py');
const FIXTURE_SHARD = join(ROOT, 'test/fixtures/runs/completed-tiny/rollouts', shardFileName(2));

/** Copies the fixture shard with the replay columns; returns the values pyarrow wrote. */
function withReplay(out: string, replayedPrompts: string): { replayed: boolean[]; age: number[] } {
  return JSON.parse(execFileSync(PYTHON, [ADD_REPLAY, FIXTURE_SHARD, out, '--replayed-prompts', replayedPrompts], { encoding: 'utf8' }));
}

describe('replay columns', () => {
  let replayShard: string;
  let written: { replayed: boolean[]; age: number[] };
  before(() => {
    const dir = mkdtempSync(join(tmpdir(), 'rlstudio-replay-'));
    replayShard = join(dir, shardFileName(2));
    written = withReplay(replayShard, '1');
  });

  it('are optional columns mapped to replayed / age', () => {
    assert.deepEqual(REPLAY_COLUMNS.map((c) => COLUMNS[c]), ['replayed', 'age']);
    for (const c of REPLAY_COLUMNS) assert.ok(!(REQUIRED_COLUMNS as readonly string[]).includes(c), `${c} is optional`);
    // A missing (or null) value is a fresh row.
    assert.deepEqual(toRow({}, REPLAY_COLUMNS, 'f', 0), { replayed: false, age: 0 });
    assert.deepEqual(toRow({ replayed: null, age: null }, REPLAY_COLUMNS, 'f', 0), { replayed: false, age: 0 });
    assert.deepEqual(toRow({ replayed: true, age: 3 }, REPLAY_COLUMNS, 'f', 0), { replayed: true, age: 3 });
  });

  it('are read into the list of a shard that has them, row by row as pyarrow wrote them', async () => {
    assert.ok(written.replayed.includes(true) && written.replayed.includes(false), 'the copy mixes fresh and replayed rows');
    const step = await new RolloutReader().readStep(replayShard);
    assert.deepEqual(
      step.rollouts.map((r) => r.replayed),
      written.replayed,
    );
    assert.deepEqual(
      step.rollouts.map((r) => r.age),
      written.age,
    );
    // The other list fields are those of the original shard.
    const original = await new RolloutReader().readStep(FIXTURE_SHARD);
    assert.deepEqual(
      step.rollouts.map(({ replayed: _r, age: _a, ...rest }) => rest),
      original.rollouts.map(({ replayed: _r, age: _a, ...rest }) => rest),
    );
  });

  it('are in a rollout’s detail', async () => {
    const reader = new RolloutReader();
    const replayedRow = written.replayed.indexOf(true);
    const freshRow = written.replayed.indexOf(false);
    const replayed = await reader.readRollout(replayShard, replayedRow);
    assert.equal(replayed.replayed, true);
    assert.equal(replayed.age, written.age[replayedRow]);
    assert.ok(replayed.age > 0);
    const fresh = await reader.readRollout(replayShard, freshRow);
    assert.equal(fresh.replayed, false);
    assert.equal(fresh.age, 0);
  });

  it('read as fresh rows (false, age 0) in a shard written before them', async () => {
    const reader = new RolloutReader();
    const step = await reader.readStep(FIXTURE_SHARD);
    assert.ok(step.rollouts.length > 0);
    for (const r of step.rollouts) assert.deepEqual([r.replayed, r.age], [false, 0]);
    const detail = await reader.readRollout(FIXTURE_SHARD, 0);
    assert.deepEqual([detail.replayed, detail.age], [false, 0]);
  });
});
