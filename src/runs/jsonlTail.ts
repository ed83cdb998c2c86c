import * as fs from 'node:fs/promises';

export interface TailResult {
  /** Parsed complete lines since the last read. */
  rows: unknown[];
  /** True when the file was truncated, replaced or deleted: earlier rows no longer hold. */
  reset: boolean;
  /** Lines that were complete but not JSON: 1-based line number and the parse error. */
  bad: { line: number; message: string }[];
  /** More bytes are waiting: call read() again (keeps each batch of parsed rows small). */
  more: boolean;
}

const CHUNK = 1 << 20;
/** Parsed rows are returned in batches from at most about this many bytes. */
const BATCH_BYTES = 4 << 20;

/**
 * Reads a JSON-lines file incrementally from the last offset. A last line without its newline is
 * left for the next read (the writer is mid-line). Truncation, replacement (new inode) and deletion
 * reset the tail to the start of the file. Never re-reads bytes it has already consumed.
 */
export class JsonlTail {
  private offset = 0;
  private lineNo = 0;
  private ino: number | undefined;
  private seen = false;

  constructor(readonly file: string) {}

  async read(): Promise<TailResult> {
    const result: TailResult = { rows: [], reset: false, bad: [], more: false };
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (this.seen) this.restart(result); // deleted
      return result;
    }
    try {
      const stat = await handle.stat();
      if (this.seen && (stat.ino !== this.ino || stat.size < this.offset)) this.restart(result);
      this.seen = true;
      this.ino = stat.ino;
      let pending: Buffer = Buffer.alloc(0);
      const batchEnd = this.offset + BATCH_BYTES;
      while (this.offset + pending.length < stat.size) {
        if (this.offset >= batchEnd) {
          result.more = true;
          break;
        }
        const want = Math.min(CHUNK, stat.size - this.offset - pending.length);
        const buf = Buffer.alloc(want);
        const { bytesRead } = await handle.read(buf, 0, want, this.offset + pending.length);
        if (bytesRead === 0) break;
        pending = pending.length ? Buffer.concat([pending, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
        pending = this.consumeLines(pending, result);
      }
    } finally {
      await handle.close();
    }
    return result;
  }

  /** Parses every complete line in `buf`, advances the offset past them, returns the remainder. */
  private consumeLines(buf: Buffer, result: TailResult): Buffer {
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      const text = buf.toString('utf8', start, nl).trim();
      this.lineNo++;
      if (text) {
        try {
          result.rows.push(JSON.parse(text));
        } catch (err) {
          result.bad.push({ line: this.lineNo, message: (err as Error).message });
        }
      }
      this.offset += nl + 1 - start;
      start = nl + 1;
    }
    return buf.subarray(start);
  }

  private restart(result: TailResult): void {
    this.offset = 0;
    this.lineNo = 0;
    this.seen = false;
    result.reset = true;
    result.rows = [];
    result.bad = [];
  }
}
