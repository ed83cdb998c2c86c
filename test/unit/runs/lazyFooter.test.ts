// The footer of a shard in row groups of 16, parsed a row group at a time (src/runs/lazyFooter.ts):
// what it gives equals hyparquet's parse of the whole footer, group by group.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parquetMetadata } from 'hyparquet';
import type { FileMetaData } from 'hyparquet';
import { lazyFooter } from '../../../src/runs/lazyFooter';
import { tempDir } from './helpers';

const PYTHON = join(__dirname, '../../../.venv/bin/python');
const MAKE_SHARD = join(__dirname, 'make_shard.py');

/** The file's footer: its Thrift, its length and PAR1. */
function footerOf(path: string): Uint8Array<ArrayBuffer> {
  const bytes = readFileSync(path);
  const length = bytes.readUInt32LE(bytes.length - 8);
  return new Uint8Array(bytes.subarray(bytes.length - 8 - length));
}

const plain = (value: unknown) => JSON.parse(JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))) as unknown;

describe('footer parsed a row group at a time', () => {
  let footer: Uint8Array<ArrayBuffer>;
  let full: FileMetaData;
  before(() => {
    // 25 prompts × 12 = 300 rows: 19 row groups (a list header with its size in a varint: ≥ 15)
    const path = join(tempDir('rlstudio-lazy-footer-'), 'old.parquet');
    execFileSync(PYTHON, [MAKE_SHARD, path, '--layout', 'groups', '--prompts', '25', '--group', '12', '--tokens', '4']);
    footer = footerOf(path);
    full = parquetMetadata(footer.slice().buffer);
    assert.equal(full.row_groups.length, 19);
  });

  it('has everything but the column chunks at first, and each group as hyparquet parses it once asked for', () => {
    const lazy = lazyFooter(footer);
    assert.ok(lazy);
    const { row_groups: groups, ...rest } = lazy.metadata;
    const { row_groups: fullGroups, ...fullRest } = full;
    assert.deepEqual(plain(rest), plain(fullRest));
    assert.deepEqual(groups.map((g) => g.num_rows), fullGroups.map((g) => g.num_rows));
    assert.ok(groups.every((g) => g.columns.length === 0));
    lazy.parseRows(40, 48); // rows of group 2 (32–47) only
    assert.deepEqual(groups.map((g) => g.columns.length > 0), fullGroups.map((_, i) => i === 2));
    assert.deepEqual(plain(groups[2]), plain(fullGroups[2]));
    lazy.parseRows(0, Number.POSITIVE_INFINITY);
    assert.deepEqual(plain(lazy.metadata), plain(full));
  });

  it('leaves a footer of few row groups to a whole parse, and names a footer cut short', () => {
    assert.equal(lazyFooter(footer, 20), undefined);
    const cut = new Uint8Array(footer.length - 2000);
    cut.set(footer.subarray(2000));
    const view = new DataView(cut.buffer);
    view.setUint32(cut.length - 8, footer.length - 8 - 2000 + 1000, true); // starts mid-footer: misread Thrift
    assert.throws(() => lazyFooter(cut), /footer|Thrift|parquet/);
  });
});
