// The keys whose values differ between the overlaid runs' resolved configs.

export interface ConfigDiffRow {
  key: string;
  /** One value per run, JSON-formatted; undefined where the run lacks the key. */
  values: (string | undefined)[];
}

export function configDiff(configs: Record<string, unknown>[]): ConfigDiffRow[] {
  const flat = configs.map((c) => flatten(c));
  const keys = [...new Set(flat.flatMap((f) => [...f.keys()]))].sort();
  const rows: ConfigDiffRow[] = [];
  for (const key of keys) {
    const values = flat.map((f) => f.get(key));
    if (new Set(values).size > 1) rows.push({ key, values });
  }
  return rows;
}

function flatten(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.set(prefix, JSON.stringify(value));
  }
  return out;
}
