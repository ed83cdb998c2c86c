// The shard reader on both layouts of run format v1 (docs/run-format.md): shards as the trainer writes
// them now (one row group, pages of 16 rows, a page index: runformat.rollout_shard_bytes) and shards
// written before (row groups of 16: runformat.shard_bytes). The same rows read the same from both;
// a rollout of a paged shard is read through its pages alone.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync, truncateSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parquetMetadata, readOffsetIndex } from 'hyparquet';
import { RolloutReader, RolloutShardError } from '../../../src/runs/rollouts';
import { tempDir } from './helpers';

const PYTHON = join(__dirname, '../../../.venv/bin/python');
const MAKE_SHARD = join(__dirname, 'make_shard.py');

function makeShard(out: string, layout: 'groups' | 'paged', prompts: number, group: number, tokens: number): string {
  execFileSync(PYTHON, [MAKE_SHARD, out, '--layout', layout, '--step', '5', '--prompts', String(prompts), '--group', String(group), '--tokens', String(tokens)]);
  return out;
}

/** What a reader returns, without the file name (which differs between the two shards). */
function sameBut<T extends { file: string }>(value: T): Omit<T, 'file'> {
  const { file: _, ...rest } = value;
  return rest;
}

describe('shard layouts', () => {
  let dir: string;
  let groups: string;
  let paged: string;
  before(() => {
    dir = tempDir('rlstudio-layouts-');
    // 9 prompts × 8 = 72 rows: five row groups, or five pages, of 16, …, 16 and 8 rows (enough
    // groups for the reader to parse the footer a group at a time).
    groups = makeShard(join(dir, 'groups.parquet'), 'groups', 9, 8, 6);
    paged = makeShard(join(dir, 'paged.parquet'), 'paged', 9, 8, 6);
  });

  it('writes one row group in pages of 16 rows, located by a page index', () => {
    const bytes = readFileSync(paged);
    const metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    assert.equal(metadata.row_groups.length, 1);
    for (const chunk of metadata.row_groups[0].columns) {
      const start = Number(chunk.offset_index_offset);
      const index = readOffsetIndex({ view: new DataView(bytes.buffer, bytes.byteOffset + start, chunk.offset_index_length), offset: 0 });
      assert.deepEqual(
        index.page_locations.map((p) => Number(p.first_row_index)),
        [0, 16, 32, 48, 64],
        chunk.meta_data?.path_in_schema.join('.'),
      );
    }
    const old = readFileSync(groups);
    assert.equal(parquetMetadata(old.buffer.slice(old.byteOffset, old.byteOffset + old.length)).row_groups.length, 5);
  });

  it('reads the same rows from both layouts, through every read a view makes', async () => {
    const reader = new RolloutReader(8);
    assert.deepEqual(sameBut(await reader.readStep(paged)), sameBut(await reader.readStep(groups)));
    // rows in an order that parses the old footer's groups out of order, one at a time
    for (const row of [40, 3, 71, 17, 16, 64, 0, 35, 52]) {
      assert.deepEqual(await reader.readRollout(paged, row), await reader.readRollout(groups, row), `row ${row}`);
    }
    assert.deepEqual(await reader.readScores(paged), await reader.readScores(groups));
    assert.deepEqual(await reader.readScores(paged, false, 14, 19), await reader.readScores(groups, false, 14, 19));
    assert.deepEqual(await reader.readCompletions(paged, 12, 20), await reader.readCompletions(groups, 12, 20)); // across a page
    assert.deepEqual(await reader.readStepTokens(paged), await reader.readStepTokens(groups));
    assert.deepEqual(await reader.search(paged, 'question 3'), await reader.search(groups, 'question 3'));
    assert.deepEqual(await reader.search(paged, 'question 3'), [24, 25, 26, 27, 28, 29, 30, 31]);
  });

  it('opens a rollout of a paged shard with one read of the footer and one read per column of its pages', async () => {
    const big = makeShard(join(dir, 'big.parquet'), 'paged', 125, 8, 40); // 1,000 rows
    const size = statSync(big).size;
    const reader = new RolloutReader();
    const detail = await reader.readRollout(big, 517);
    assert.equal(detail.promptIndex, 64);
    assert.equal(detail.groupIndex, 5);
    assert.equal(detail.tokens.join(''), detail.completion);
    const { reads, bytes } = reader.fileReads;
    // The footer and page index come with the first read of the file's end; each column then costs
    // one read of its page of 16 rows (never the whole column, nor another group's footer entries).
    const columns = 22; // every column but the three summaries (with rollout replay's replayed and age)
    assert.ok(reads <= 1 + columns, `${reads} reads`);
    assert.ok(bytes < 0.1 * size + (1 << 17), `${bytes} of ${size} bytes read`);
    const before = reader.fileReads;
    await reader.readRollout(big, 518); // the same pages: no footer read again
    assert.equal(reader.fileReads.reads - before.reads, columns);
    assert.equal(reader.footersParsed, 1);
  });

  it('names the file of a shard cut short or with a footer longer than the file', async () => {
    const cut = join(dir, 'cut.parquet');
    writeFileSync(cut, readFileSync(paged));
    truncateSync(cut, statSync(cut).size - 3);
    await assert.rejects(new RolloutReader().readRollout(cut, 0), (e: unknown) => e instanceof RolloutShardError && /cut\.parquet: not a readable Parquet file: .*PAR1/.test(e.message));
    const long = join(dir, 'long.parquet');
    const bytes = readFileSync(paged);
    bytes.writeUInt32LE(bytes.length, bytes.length - 8);
    writeFileSync(long, bytes);
    await assert.rejects(new RolloutReader().readStep(long), /long\.parquet: not a readable Parquet file: its footer length exceeds the file/);
    const tiny = join(dir, 'tiny.parquet');
    writeFileSync(tiny, 'PAR1');
    await assert.rejects(new RolloutReader().readStep(tiny), /tiny\.parquet: not a readable Parquet file: the file has 4 bytes/);
  });
});
