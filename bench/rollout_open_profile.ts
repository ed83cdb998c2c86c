// Where the time of a cold rollout open goes, per step of the reader's open path (src/runs/rollouts.ts,
// shardFile.ts, lazyFooter.ts): stat, footer read and parse, column bytes read, page decompression,
// and the rest of decoding (levels, values, assembly into rows). Opens one random rollout in each of --shards
// shards never read before in this process, with the same calls RolloutReader makes.
//
//   node --import tsx bench/rollout_open_profile.ts --run /tmp/rlstudio-big-run [--shards 60]
//
// Prints the mean and p95 of each step, and the bytes read. Not a pass/fail test: it prints numbers.

import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, Compressors } from 'hyparquet';
import { compressors as readerCompressors } from 'hyparquet-compressors';
import { mulberry32 } from '../src/common/pairedStats';
import { readFooter, withFile } from '../src/runs/shardFile';
import { SUMMARY_COLUMNS } from '../src/runs/runFormat';

const { values: options } = parseArgs({
  options: {
    run: { type: 'string', default: '/tmp/rlstudio-big-run' },
    shards: { type: 'string', default: '60' },
    seed: { type: 'string', default: '1' },
  },
});

const samples = new Map<string, number[]>();
const add = (name: string, value: number) => samples.set(name, [...(samples.get(name) ?? []), value]);

async function main(): Promise<void> {
  const dir = join(options.run, 'rollouts');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.parquet')).map((f) => join(dir, f));
  const random = mulberry32(Number(options.seed));
  const picked = files.sort(() => random() - 0.5).slice(0, Number(options.shards));
  let decompressMs = 0;
  let decompressedBytes = 0;
  const timedCompressors: Compressors = Object.fromEntries(
    Object.entries(readerCompressors).map(([codec, fn]) => [
      codec,
      (input: Uint8Array, outputLength: number) => {
        const start = performance.now();
        const out = fn!(input, outputLength);
        decompressMs += performance.now() - start;
        decompressedBytes += outputLength;
        return out;
      },
    ]),
  );
  for (const file of picked) {
    const t0 = performance.now();
    const info = await stat(file);
    add('stat', performance.now() - t0);
    // the footer as the reader loads it (one read of the file's end, the parse, the page index kept) ...
    const counter = { reads: 0, bytes: 0 };
    const f0 = performance.now();
    const { metadata, tail, parseRows } = await readFooter(file, info.size, counter);
    add('footer: read + parse (as the reader does)', performance.now() - f0);
    add('footer: bytes read (KB)', counter.bytes / 1024);
    add('footer: page index + footer kept (KB)', (tail?.bytes.length ?? 0) / 1024);
    // ... and, for comparison, hyparquet's parse of the whole footer (all row groups), on the same bytes
    const footerLength = Number(new DataView((await readTail(file, info.size)).buffer).getUint32(0, true));
    const footerBytes = (await readTail(file, info.size, footerLength + 8)).buffer;
    const p0 = performance.now();
    parquetMetadata(footerBytes);
    add('footer: whole Thrift parse (for comparison)', performance.now() - p0);
    // the rollout's columns, as the reader reads them
    const summaries: readonly string[] = SUMMARY_COLUMNS;
    const columns = parquetSchema(metadata).children.map((c) => c.element.name).filter((c) => !summaries.includes(c));
    const row = Math.floor(random() * Number(metadata.num_rows));
    const g0 = performance.now();
    parseRows?.(row, row + 1);
    add("footer: the row's group parsed (old layout)", performance.now() - g0);
    let inFlight = 0;
    let since = 0;
    let ioMs = 0;
    counter.reads = 0;
    counter.bytes = 0;
    decompressMs = 0;
    decompressedBytes = 0;
    const r0 = performance.now();
    await withFile(
      file,
      info.size,
      (raw) => {
        // wall time during which at least one read is in flight (reads overlap)
        const timed: AsyncBuffer = {
          byteLength: raw.byteLength,
          async slice(start, end) {
            if (inFlight++ === 0) since = performance.now();
            try {
              return await raw.slice(start, end);
            } finally {
              if (--inFlight === 0) ioMs += performance.now() - since;
            }
          },
        };
        return parquetReadObjects({ file: timed, metadata, columns, rowStart: row, rowEnd: row + 1, compressors: timedCompressors, useOffsetIndex: true });
      },
      { tail, counter },
    );
    const total = performance.now() - r0;
    add('columns: reads from the file', counter.reads);
    add('columns: bytes read (KB)', counter.bytes / 1024);
    add('columns: wall time with a read in flight', ioMs);
    add('columns: decompress (zstd)', decompressMs);
    add('columns: decompressed (KB)', decompressedBytes / 1024);
    add('columns: decode + assemble (the rest)', total - ioMs - decompressMs);
    add('columns: total', total);
    add('total', performance.now() - t0);
  }
  const header = ['step of a cold open', 'mean', 'p50', 'p95'];
  console.log(`${options.run}: ${picked.length} shards, one random rollout each`);
  console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
  for (const [name, values] of samples) {
    const sorted = [...values].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    console.log(`| ${name} | ${mean.toFixed(2)} | ${q(0.5).toFixed(2)} | ${q(0.95).toFixed(2)} |`);
  }
}

/** The last `length` bytes of a file (by default 8: the footer length, then PAR1). */
async function readTail(path: string, size: number, length = 8): Promise<Uint8Array<ArrayBuffer>> {
  const handle = await open(path, 'r');
  try {
    const bytes = new Uint8Array(length);
    await handle.read(bytes, 0, length, size - length);
    return bytes;
  } finally {
    await handle.close();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
