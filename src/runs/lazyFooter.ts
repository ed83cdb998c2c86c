// The footer of a shard in row groups of 16 (written before pages and a page index), parsed a row
// group at a time. Its ~125 kB of Thrift (for 1,000 rows) are mostly the 63 row groups' column
// chunks; a reader that opens one rollout needs one of them. So the footer is walked once without
// building anything (recording where each row group's bytes lie and its row count), everything but
// the row groups is parsed by hyparquet, and a row group is parsed when a read first needs it, from
// a footer rebuilt with only the groups asked for. The FileMetaData that hyparquet reads with holds
// every group's row count from the start and its column chunks once parsed. No `vscode` import.

import { parquetMetadata } from 'hyparquet';
import type { FileMetaData, RowGroup } from 'hyparquet';

// Thrift compact protocol types (the Parquet footer's encoding)
const TRUE = 1;
const FALSE = 2;
const BYTE = 3;
const I16 = 4;
const I32 = 5;
const I64 = 6;
const DOUBLE = 7;
const BINARY = 8;
const LIST = 9;
const SET = 10;
const MAP = 11;
const STRUCT = 12;
/** FileMetaData's field of the row groups, and RowGroup's of its row count (parquet.thrift). */
const ROW_GROUPS_FIELD = 4;
const NUM_ROWS_FIELD = 3;

export interface LazyFooter {
  /** Row groups whose column chunks are not parsed yet have none (`columns` is empty). */
  metadata: FileMetaData;
  /** Parses the row groups holding rows [rowStart, rowEnd) that are not parsed yet. */
  parseRows(rowStart: number, rowEnd: number): void;
}

/**
 * The footer (the file's last bytes: Thrift, length, PAR1) parsed without its row groups' column
 * chunks, or undefined if it has fewer than `minGroups` row groups (parsing all of them is cheap).
 */
export function lazyFooter(footer: Uint8Array<ArrayBuffer>, minGroups = 4): LazyFooter | undefined {
  const view = new DataView(footer.buffer, footer.byteOffset, footer.byteLength);
  const start = footer.length - 8 - view.getUint32(footer.length - 8, true);
  const walk = new Walker(footer, start);
  const groups = walk.rowGroups();
  if (groups === undefined || groups.spans.length < minGroups) {
    return undefined;
  }
  const rebuild = (chosen: readonly number[]): FileMetaData =>
    parquetMetadata(footerWith(footer, start, groups.header, groups.end, chosen.map((g) => groups.spans[g])));
  const metadata = rebuild([]);
  metadata.metadata_length = footer.length - 8 - start;
  const parsed = new Array<boolean>(groups.spans.length).fill(false);
  metadata.row_groups = groups.rows.map((rows) => ({ columns: [], total_byte_size: 0n, num_rows: rows }) as RowGroup);
  const firstRows: number[] = [];
  let total = 0;
  for (const rows of groups.rows) {
    firstRows.push(total);
    total += Number(rows);
  }
  return {
    metadata,
    parseRows(rowStart: number, rowEnd: number): void {
      const wanted = firstRows.flatMap((first, g) => (!parsed[g] && first < rowEnd && first + Number(groups.rows[g]) > rowStart ? [g] : []));
      if (wanted.length === 0) return;
      const rowGroups = rebuild(wanted).row_groups;
      wanted.forEach((g, i) => {
        metadata.row_groups[g] = rowGroups[i];
        parsed[g] = true;
      });
    },
  };
}

/** The footer with `spans` as its only row groups: a new list header, the rest as it was. */
function footerWith(footer: Uint8Array, start: number, header: [number, number], end: number, spans: readonly [number, number][]): Uint8Array<ArrayBuffer> {
  const listHeader = spans.length < 15 ? [(spans.length << 4) | STRUCT] : [0xf0 | STRUCT, ...varint(spans.length)];
  const length = header[0] - start + listHeader.length + spans.reduce((n, [a, b]) => n + b - a, 0) + (footer.length - 8 - end);
  const out = new Uint8Array(length + 8);
  let at = 0;
  const put = (bytes: ArrayLike<number>) => {
    out.set(bytes, at);
    at += bytes.length;
  };
  put(footer.subarray(start, header[0]));
  put(listHeader);
  for (const [a, b] of spans) put(footer.subarray(a, b));
  put(footer.subarray(end, footer.length - 8));
  new DataView(out.buffer).setUint32(at, length, true);
  at += 4;
  put(footer.subarray(footer.length - 4));
  return out;
}

function varint(n: number): number[] {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return bytes;
}

/** Walks Thrift compact bytes without building values. */
class Walker {
  constructor(
    private readonly bytes: Uint8Array,
    private offset: number,
  ) {}

  /**
   * FileMetaData's row groups: where their list header and the list end lie, each group's bytes
   * and row count; undefined if the footer has no row groups field.
   */
  rowGroups(): { header: [number, number]; end: number; spans: [number, number][]; rows: bigint[] } | undefined {
    for (let field = 0; ; ) {
      const type = this.fieldHeader(field);
      if (type === 0) return undefined;
      field = this.field;
      if (field !== ROW_GROUPS_FIELD || type !== LIST) {
        this.skip(type);
        continue;
      }
      const headerStart = this.offset;
      const { size, type: element } = this.listHeader();
      if (element !== STRUCT) throw new Error('the footer row groups are not structs');
      const spans: [number, number][] = [];
      const rows: bigint[] = [];
      for (let i = 0; i < size; i++) {
        const begin = this.offset;
        let count: bigint | undefined;
        for (let f = 0; ; ) {
          const t = this.fieldHeader(f);
          if (t === 0) break;
          f = this.field;
          if (f === NUM_ROWS_FIELD && t === I64) count = this.zigzag();
          else this.skip(t);
        }
        if (count === undefined) throw new Error(`row group ${i} of the footer has no row count`);
        spans.push([begin, this.offset]);
        rows.push(count);
      }
      return { header: [headerStart, spans[0]?.[0] ?? this.offset], end: this.offset, spans, rows };
    }
  }

  /** The field id read by the last fieldHeader. */
  private field = 0;

  /** A struct field's type (0: the struct's stop); its id in `field`, from the previous one's. */
  private fieldHeader(previous: number): number {
    const byte = this.byte();
    const type = byte & 0x0f;
    if (type !== 0) {
      this.field = byte >> 4 ? previous + (byte >> 4) : Number(this.zigzag());
    }
    return type;
  }

  private skip(type: number): void {
    switch (type) {
      case TRUE:
      case FALSE:
        return;
      case BYTE:
        this.offset++;
        return;
      case I16:
      case I32:
      case I64:
        while (this.byte() & 0x80);
        return;
      case DOUBLE:
        this.offset += 8;
        return;
      case BINARY: {
        const length = this.size(); // before `this.offset +=` reads the offset
        this.offset += length;
        return;
      }
      case LIST:
      case SET: {
        const { size, type: element } = this.listHeader();
        const each = element === TRUE || element === FALSE ? BYTE : element;
        for (let i = 0; i < size; i++) this.skip(each);
        return;
      }
      case MAP: {
        const size = this.size();
        if (size === 0) return;
        const types = this.byte();
        for (let i = 0; i < size; i++) {
          this.skip(types >> 4);
          this.skip(types & 0x0f);
        }
        return;
      }
      case STRUCT:
        for (let field = 0; ; ) {
          const t = this.fieldHeader(field);
          if (t === 0) return;
          field = this.field;
          this.skip(t);
        }
      default:
        throw new Error(`unknown Thrift type ${type} at footer byte ${this.offset}`);
    }
  }

  private listHeader(): { size: number; type: number } {
    const byte = this.byte();
    const size = byte >> 4 === 15 ? this.size() : byte >> 4;
    return { size, type: byte & 0x0f };
  }

  private byte(): number {
    const byte = this.bytes[this.offset++];
    if (byte === undefined) throw new Error('the footer ends inside a Thrift value');
    return byte;
  }

  /** A varint that is a length or a count (< 2^31). */
  private size(): number {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.byte();
      result += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) return result;
    }
  }

  private zigzag(): bigint {
    let n = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = this.byte();
      n |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    return (n >> 1n) ^ -(n & 1n);
  }
}
