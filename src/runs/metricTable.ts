import type { MetricRow, MetricTable } from './model';
import { isNonFinite } from './runFormat';

/**
 * Metrics as growable Float64Array columns (NaN where a row lacks a metric or its value is
 * non-finite; the rows of the latter are kept apart, so that a missing value is not an alarm).
 * 100k rows of 30 metrics take about 25 MB; rows are never kept as objects.
 */
export class ColumnarMetrics implements MetricTable {
  private capacity = 256;
  private count = 0;
  private stepCol = new Float64Array(this.capacity);
  private timeCol = new Float64Array(this.capacity);
  private cols = new Map<string, Float64Array>();
  private nonFiniteRows = new Map<string, number[]>();

  get length(): number {
    return this.count;
  }

  names(): string[] {
    return [...this.cols.keys()].sort();
  }

  steps(): Float64Array {
    return this.stepCol.subarray(0, this.count);
  }

  times(): Float64Array {
    return this.timeCol.subarray(0, this.count);
  }

  column(name: string): Float64Array | undefined {
    return this.cols.get(name)?.subarray(0, this.count);
  }

  latest(name: string): number | undefined {
    const col = this.cols.get(name);
    if (!col) return undefined;
    for (let i = this.count - 1; i >= 0; i--) if (!Number.isNaN(col[i])) return col[i];
    return undefined;
  }

  nonFinite(name: string): readonly number[] {
    return this.nonFiniteRows.get(name) ?? [];
  }

  append(row: MetricRow): void {
    if (this.count === this.capacity) this.grow();
    const i = this.count++;
    this.stepCol[i] = row.step;
    this.timeCol[i] = row.t;
    for (const col of this.cols.values()) col[i] = NaN;
    for (const [name, value] of Object.entries(row.values)) {
      let col = this.cols.get(name);
      if (!col) {
        col = new Float64Array(this.capacity).fill(NaN);
        this.cols.set(name, col);
      }
      col[i] = typeof value === 'number' && Number.isFinite(value) ? value : NaN;
      if (isNonFinite(value)) {
        const rows = this.nonFiniteRows.get(name);
        if (rows) rows.push(i);
        else this.nonFiniteRows.set(name, [i]);
      }
    }
  }

  clear(): void {
    this.count = 0;
    this.cols.clear();
    this.nonFiniteRows.clear();
  }

  private grow(): void {
    this.capacity *= 2;
    const grown = (a: Float64Array) => {
      const b = new Float64Array(this.capacity).fill(NaN);
      b.set(a);
      return b;
    };
    this.stepCol = grown(this.stepCol);
    this.timeCol = grown(this.timeCol);
    for (const [name, col] of this.cols) this.cols.set(name, grown(col));
  }
}

/** Checks one parsed metrics.jsonl line; returns an error message or the typed row. */
export function toMetricRow(value: unknown): MetricRow | string {
  if (typeof value !== 'object' || value === null) return 'not a JSON object';
  const v = value as Record<string, unknown>;
  if (typeof v.step !== 'number') return 'field "step" must be a number';
  if (typeof v.t !== 'number') return 'field "t" must be a number';
  if (typeof v.values !== 'object' || v.values === null) return 'field "values" must be an object';
  return { step: v.step, t: v.t, values: v.values as Record<string, number | string | null> };
}
