// The rows of one prompt at one step, over shards written by the trainer's write_shard: by row
// range when the shard's layout allows it, whole when a prompt was sampled twice in one batch.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { StepScoresCache } from '../../../src/inline/datasetIndex';
import { keyNumber, promptNumber } from '../../../src/runs/promptSidecar';
import type { Run } from '../../../src/runs/model';
import { RolloutReader } from '../../../src/runs/rollouts';
import { RUN_FILES, shardFileName } from '../../../src/runs/runFormat';
import { tempDir } from '../runs/helpers';

const PYTHON = join(__dirname, '../../../.venv/bin/python');
const WRITE = `
import sys
from pathlib import Path
sys.path.insert(0, ${JSON.stringify(join(__dirname, '../runs'))})
from make_shard import build
from rlstudio.rollouts import write_shard
out = Path(sys.argv[1])
step1 = build(1, 3, 2, 4, None).to_pylist()
for row in step1:
    if row["prompt_index"] == 2:
        row["prompt"] = step1[0]["prompt"]  # prompt 2 repeats prompt 0 in this batch
write_shard(out, 1, step1, ["accuracy", "format"])
write_shard(out, 2, build(2, 3, 2, 4, None).to_pylist(), ["accuracy", "format"])
`;

describe('per-prompt rows of a step', () => {
  let dir: string;
  let keys: Map<number, Float64Array>;
  const run = () => ({ rolloutsFile: (step: number) => join(dir, shardFileName(step)) }) as unknown as Run;
  before(() => {
    dir = tempDir('step-scores');
    execFileSync(PYTHON, ['-c', WRITE, dir]);
    keys = new Map(
      readFileSync(join(dir, RUN_FILES.promptIndex), 'utf8').trim().split('\n').map((l) => {
        const { step, prompts } = JSON.parse(l) as { step: number; prompts: string[] };
        return [step, Float64Array.from(prompts, keyNumber)];
      }),
    );
  });

  it('reads one prompt’s rows by range, then the whole step, with the same answers', async () => {
    const reader = new RolloutReader();
    const cache = new StepScoresCache(reader);
    const all = await reader.readScores(join(dir, shardFileName(2)));
    for (const [k, key] of [...keys.get(2)!].entries()) {
      const rows = await cache.get(run(), 2, key, keys.get(2), 2);
      assert.deepEqual(rows?.map((r) => [r.row, r.promptIndex, r.groupIndex, r.reward]), all.filter((r) => r.promptIndex === k).map((r) => [r.row, r.promptIndex, r.groupIndex, r.reward]));
    }
  });

  it('hashes the prompts when a prompt was sampled twice in one batch', async () => {
    const reader = new RolloutReader();
    const all = await reader.readScores(join(dir, shardFileName(1)));
    assert.equal(keys.get(1)!.length, 2, 'two distinct prompts for three prompt indices');
    const first = await new StepScoresCache(reader).get(run(), 1, promptNumber(all[0].prompt), keys.get(1), 2);
    assert.deepEqual(first?.map((r) => r.promptIndex), [0, 0, 2, 2]);
    const second = await new StepScoresCache(reader).get(run(), 1, promptNumber(all[2].prompt), keys.get(1), 2);
    assert.deepEqual(second?.map((r) => r.promptIndex), [1, 1]);
  });
});
