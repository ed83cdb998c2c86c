// The `*.kp.jsonl` knowledge-point file on the TypeScript side: parse with line numbers (the JSON
// Schema in schemas/kp.schema.json plus the cross-field rules the schema cannot say), and
// serialize exactly as trainer/rlstudio/hints.py's dump_kp does (compact, fixed key order).

import Ajv from 'ajv';
import schema from '../../schemas/kp.schema.json';

export interface KnowledgePoint {
  id: string;
  text: string;
}

export interface KpEntry {
  problem: string;
  points: KnowledgePoint[];
  selected: string[];
}

export interface KpProblem {
  /** 1-based line. */
  line: number;
  field: string;
  message: string;
}

export interface ParsedKp {
  entries: KpEntry[];
  /** Line of each entry, parallel to `entries`. */
  lines: number[];
  problems: KpProblem[];
}

const validate = new Ajv({ allErrors: true }).compile(schema);

export function parseKp(text: string): ParsedKp {
  const parsed: ParsedKp = { entries: [], lines: [], problems: [] };
  const seen = new Map<string, number>();
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (!raw.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      parsed.problems.push({ line, field: '', message: `not JSON (${error instanceof Error ? error.message : String(error)})` });
      return;
    }
    if (!validate(value)) {
      for (const e of validate.errors ?? []) {
        const field = e.instancePath.replace(/^\//, '').replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.');
        const extra = e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : '';
        parsed.problems.push({ line, field, message: `${e.message ?? 'invalid'}${extra}` });
      }
      return;
    }
    const obj = value as { problem: string | number; points: KnowledgePoint[]; selected?: string[] };
    const entry: KpEntry = { problem: String(obj.problem), points: obj.points, selected: obj.selected ?? [] };
    const before = parsed.problems.length;
    const ids = new Set<string>();
    entry.points.forEach((p, i) => {
      if (ids.has(p.id)) parsed.problems.push({ line, field: `points[${i}].id`, message: `duplicate id '${p.id}'` });
      ids.add(p.id);
    });
    for (const id of entry.selected) {
      if (!ids.has(id)) parsed.problems.push({ line, field: 'selected', message: `'${id}' is not the id of one of this problem's points` });
    }
    const first = seen.get(entry.problem);
    if (first !== undefined) parsed.problems.push({ line, field: 'problem', message: `'${entry.problem}' is already on line ${first}` });
    if (parsed.problems.length > before) return;
    seen.set(entry.problem, line);
    parsed.entries.push(entry);
    parsed.lines.push(line);
  });
  return parsed;
}

/** One compact line per problem, keys in a fixed order: byte-identical to Python's dump_kp. */
export function serializeKp(entries: readonly KpEntry[]): string {
  return entries
    .map((e) => `${pyJson({ problem: e.problem, points: e.points.map((p) => ({ id: p.id, text: p.text })), selected: e.selected })}\n`)
    .join('');
}

/** JSON with Python's json.dumps(ensure_ascii=False) separators: ", " and ": ". */
function pyJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pyJson(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The knowledge points a recorded rollout received: rollouts store only `hint_ids` (ids are unique
 * per problem, not per file), so the problem is the KP entry that has every id and whose point texts
 * all occur in the rollout's prompt. For the rollout inspector; [] when nothing matches.
 */
export function hintsOfRollout(entries: readonly KpEntry[], hintIds: readonly string[], prompt: string): KnowledgePoint[] {
  if (hintIds.length === 0) return [];
  for (const entry of entries) {
    const byId = new Map(entry.points.map((p) => [p.id, p]));
    const points = hintIds.map((id) => byId.get(id));
    if (points.every((p) => p !== undefined && prompt.includes(`- ${p.text}`))) return points as KnowledgePoint[];
  }
  return [];
}
