// Byte access to a shard's Parquet file for hyparquet: its footer read and parsed in one read of the
// file's end, and the page index kept from that read. Shards written with pages of 16 rows and a page
// index (runformat.rollout_shard_bytes) have a footer of a few kB with the page index just before it,
// so a rollout's pages are located from memory and only those pages are read from disk. Shards in
// row groups of 16 (written before) have no page index and a footer of ~125 kB, parsed a row group
// at a time as reads need them (lazyFooter.ts). No `vscode` import.

import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { parquetMetadata } from 'hyparquet';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { lazyFooter } from './lazyFooter';

/** Bytes read from a file's end at first: an old shard's whole footer, or a new one's page index and footer. */
const TAIL_READ = 1 << 17;
/** The most bytes of page index (and footer) kept in memory per shard. */
const MAX_TAIL = 1 << 20;

/** The end of a file, from `start`: the page index and the footer. */
export interface FileTail {
  start: number;
  bytes: Uint8Array<ArrayBuffer>;
}

export interface Footer {
  metadata: FileMetaData;
  /** The page index with the footer, when the file has one (and it is not too large to keep). */
  tail: FileTail | undefined;
  /**
   * For a footer of many row groups (shards in row groups of 16), parsed a group at a time: parses
   * those holding rows [rowStart, rowEnd); `metadata` has the others' row counts only until then.
   */
  parseRows?: (rowStart: number, rowEnd: number) => void;
}

/** What a reader counts: preads that reached the disk (or the page cache), and their bytes. */
export interface ReadCounter {
  reads: number;
  bytes: number;
}

/** The footer of a Parquet file of `size` bytes, parsed, and its page index when it has one. */
export async function readFooter(path: string, size: number, counter?: ReadCounter): Promise<Footer> {
  return withFile(path, size, async (file) => {
    if (size < 12) {
      throw new Error(`the file has ${size} bytes, too few for Parquet`);
    }
    let tail: FileTail = { start: Math.max(0, size - TAIL_READ), bytes: new Uint8Array(await file.slice(Math.max(0, size - TAIL_READ), size)) };
    const view = new DataView(tail.bytes.buffer, tail.bytes.byteOffset, tail.bytes.byteLength);
    if (view.getUint32(tail.bytes.length - 4, true) !== 0x31524150) {
      throw new Error('it does not end with the Parquet magic bytes PAR1');
    }
    const footerStart = size - 8 - view.getUint32(tail.bytes.length - 8, true);
    if (footerStart < 4) {
      throw new Error(`its footer length exceeds the file (${size} bytes)`);
    }
    tail = await extended(file, tail, footerStart);
    const footer = tail.bytes.slice(footerStart - tail.start);
    const lazy = lazyFooter(footer);
    if (lazy) {
      return { metadata: lazy.metadata, tail: undefined, parseRows: lazy.parseRows };
    }
    const metadata = parquetMetadata(footer.buffer);
    const indexStart = pageIndexStart(metadata, footerStart);
    if (indexStart === undefined || size - indexStart > MAX_TAIL) {
      return { metadata, tail: undefined };
    }
    tail = await extended(file, tail, indexStart);
    return { metadata, tail: { start: indexStart, bytes: tail.bytes.slice(indexStart - tail.start) } };
  }, { counter });
}

/**
 * Byte ranges of a file through one handle, open while `use` runs; ranges within `tail` come from
 * memory. (hyparquet's own file buffer opens, streams and closes the file for each range.)
 */
export async function withFile<T>(
  path: string,
  size: number,
  use: (file: AsyncBuffer) => Promise<T>,
  { tail, counter }: { tail?: FileTail; counter?: ReadCounter } = {},
): Promise<T> {
  const handle = await open(path, 'r');
  try {
    return await use({
      byteLength: size,
      slice(start: number, end = size): Promise<ArrayBuffer> {
        if (tail && start >= tail.start) {
          return Promise.resolve(tail.bytes.slice(start - tail.start, end - tail.start).buffer);
        }
        return readRange(handle, size, start, end, counter);
      },
    });
  } finally {
    await handle.close();
  }
}

async function readRange(handle: FileHandle, size: number, start: number, end: number, counter?: ReadCounter): Promise<ArrayBuffer> {
  const bytes = new Uint8Array(end - start);
  for (let done = 0; done < bytes.length; ) {
    const { bytesRead } = await handle.read(bytes, done, bytes.length - done, start + done);
    if (bytesRead === 0) {
      throw new Error(`the file ends before byte ${start + done} (it had ${size} bytes)`);
    }
    done += bytesRead;
  }
  if (counter) {
    counter.reads++;
    counter.bytes += bytes.length;
  }
  return bytes.buffer;
}

/** `tail` grown to begin at `start` (one more read of the bytes before it). */
async function extended(file: AsyncBuffer, tail: FileTail, start: number): Promise<FileTail> {
  if (start >= tail.start) {
    return tail;
  }
  const bytes = new Uint8Array(tail.start - start + tail.bytes.length);
  bytes.set(new Uint8Array(await file.slice(start, tail.start)));
  bytes.set(tail.bytes, tail.start - start);
  return { start, bytes };
}

/** Where the page index (column and offset indexes) begins: before the footer, after the last page. */
function pageIndexStart(metadata: FileMetaData, footerStart: number): number | undefined {
  let start: number | undefined;
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) {
      for (const [offset, length] of [
        [chunk.offset_index_offset, chunk.offset_index_length],
        [chunk.column_index_offset, chunk.column_index_length],
      ] as const) {
        if (offset !== undefined && length !== undefined) {
          const begin = Number(offset);
          if (begin >= 0 && begin + length <= footerStart) start = Math.min(start ?? begin, begin);
        }
      }
    }
  }
  return start;
}
