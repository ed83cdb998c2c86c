// The dashboard's unit of data: a metric (or step, or time) column that grows as rows arrive.

/**
 * A column that grows at its end: a Float64Array with spare capacity, NaN where a value is missing.
 * Appending is amortised O(1); `values` is a view of the filled part (a new view after each growth).
 */
export class Column {
  private data: Float64Array;
  private size: number;

  /** Adopts `values` (no copy): the column's first growth moves it to a larger buffer. */
  constructor(values: Float64Array = new Float64Array(0)) {
    this.data = values;
    this.size = values.length;
  }

  /** An empty column with room for `capacity` values before it grows. */
  static withCapacity(capacity: number): Column {
    const column = new Column(new Float64Array(capacity));
    column.size = 0;
    return column;
  }

  static of(values: ArrayLike<number | null>): Column {
    const column = new Column();
    column.pushAll(values);
    return column;
  }

  get length(): number {
    return this.size;
  }

  /** The filled part, as a view (valid until the next append that grows the buffer). */
  get values(): Float64Array {
    return this.data.subarray(0, this.size);
  }

  push(value: number | null): void {
    this.reserve(1);
    this.data[this.size++] = value ?? NaN;
  }

  pushAll(values: ArrayLike<number | null>): void {
    this.reserve(values.length);
    if (values instanceof Float64Array) {
      this.data.set(values, this.size);
      this.size += values.length;
      return;
    }
    for (let i = 0; i < values.length; i++) this.data[this.size++] = values[i] ?? NaN;
  }

  /**
   * Adds `count` values at the end, to be written in place: returns the buffer and the index of the
   * first new value (a loop over the buffer is several times faster than a push per value).
   */
  extend(count: number): { data: Float64Array; start: number } {
    this.reserve(count);
    const start = this.size;
    this.size += count;
    return { data: this.data, start };
  }

  /** Pads with NaN up to `length` values (a metric first seen after some rows). */
  padTo(length: number): void {
    if (length <= this.size) return;
    this.reserve(length - this.size);
    this.data.fill(NaN, this.size, length);
    this.size = length;
  }

  private reserve(extra: number): void {
    if (this.size + extra <= this.data.length) return;
    const grown = new Float64Array(Math.max(16, this.size + extra, this.data.length * 2));
    grown.set(this.data.subarray(0, this.size));
    this.data = grown;
  }
}
