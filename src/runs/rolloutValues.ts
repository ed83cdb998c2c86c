// Values of a rollout shard's rows as the reader returns them: Parquet int64 arrives as bigint,
// lists as arrays or typed arrays, structs as objects, extras as JSON text. Pure.

export function toNumber(value: unknown): number | null {
  if (value === null || value === undefined) {
    return null;
  }
  const n = Number(value);
  return Number.isNaN(n) && typeof value !== 'number' ? null : n;
}

/** hyparquet's list values are fresh arrays: used as they are when they hold only numbers. */
export function toNumbers(value: unknown): number[] {
  if (value === null || value === undefined) {
    return [];
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) {
    return value as number[];
  }
  return Array.from(value as ArrayLike<unknown>, (v) => (v === null || v === undefined ? Number.NaN : Number(v)));
}

export function toStrings(value: unknown): string[] {
  if (value === null || value === undefined) {
    return [];
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return value as string[];
  }
  return Array.from(value as ArrayLike<unknown>, (v) => (v === null || v === undefined ? '' : String(v)));
}

/** Per reward function; fromEntries defines own keys, so a function named `__proto__` stays one. */
export function toRewards(value: unknown): Record<string, number | null> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).map(([name, v]) => [name, toNumber(v)]));
}

export function parseExtras(path: string, row: number, value: unknown): Record<string, unknown> {
  if (value === null || value === undefined || value === '') {
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(String(value));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
  } catch {
    return { unparsed: String(value), error: `${baseName(path)} row ${row}: extras is not valid JSON` };
  }
}

export function mean(values: ArrayLike<unknown>): number | null {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number' && Number.isFinite(v)) {
      sum += v;
      n++;
    }
  }
  return n > 0 ? sum / n : null;
}

export function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}
