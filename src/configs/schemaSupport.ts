// Diagnostics, hover and completion for run config YAML from the JSON Schema that `rlstudio schema`
// generates (checked in as schemas/run-config.schema.json). No `vscode` import: unit-tested directly.
import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  description?: string;
  default?: unknown;
  required?: string[];
  additionalProperties?: boolean;
};

/** Zero-based positions, like VS Code's. */
export interface Span {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface ConfigDiagnostic extends Span {
  message: string;
  /** Dotted key path of the offending value, e.g. `algorithm.beta`. */
  path: string;
}

export interface CompletionEntry {
  label: string;
  kind: 'property' | 'value';
  insertText: string;
  documentation?: string;
  detail?: string;
}

export class ConfigSchema {
  private readonly validate: ValidateFunction;

  constructor(readonly schema: JsonSchema) {
    const ajv = new Ajv2020({ allErrors: true, strict: false, verbose: true });
    this.validate = ajv.compile(schema);
  }

  diagnostics(text: string): ConfigDiagnostic[] {
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
    const span = (start: number, end: number): Span => {
      const a = lc.linePos(start);
      const b = lc.linePos(Math.max(start, end));
      return { line: a.line - 1, column: a.col - 1, endLine: b.line - 1, endColumn: b.col - 1 };
    };
    if (doc.errors.length) return doc.errors.map((e) => ({ ...span(e.pos[0], e.pos[1]), message: `YAML: ${e.message.split('\n')[0]}`, path: '' }));
    const value = doc.toJS() ?? {};
    if (this.validate(value)) return [];
    return pruneAnyOf(this.validate.errors ?? []).map((err) => {
      const segments = err.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
      const key = err.keyword === 'additionalProperties' ? String(err.params.additionalProperty) : undefined;
      const node = key ? keyNode(doc.contents, segments, key) : (doc.getIn(segments, true) as YamlNode | undefined);
      const range = node?.range ?? doc.contents?.range ?? [0, 0];
      const dotted = [...segments, ...(key ? [key] : [])].join('.');
      return { ...span(range[0], range[1]), path: dotted, message: describeError(err, key, this.properties(segments)) };
    });
  }

  /** Documentation for the key under the cursor (zero-based line and column). */
  hover(text: string, line: number, column: number): { path: string; markdown: string; span: Span } | undefined {
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc });
    const offset = offsetOf(text, line, column);
    const found = findKey(doc.contents, offset, []);
    if (!found) return undefined;
    const schema = this.resolve(found.path);
    if (!schema) return undefined;
    const a = lc.linePos(found.range[0]);
    const b = lc.linePos(found.range[1]);
    return {
      path: found.path.join('.'),
      markdown: documentation(found.path.join('.'), schema),
      span: { line: a.line - 1, column: a.col - 1, endLine: b.line - 1, endColumn: b.col - 1 },
    };
  }

  /** Keys (or enum values after `key: `) that fit at the cursor. */
  completions(text: string, line: number, column: number): CompletionEntry[] {
    const lines = text.split(/\r?\n/);
    const current = (lines[line] ?? '').slice(0, column);
    const valueMatch = /^\s*(?:- )?([\w.-]+):\s*\S*$/.exec(current);
    if (valueMatch) {
      const schema = this.resolve([...parentPath(lines, line, indentOf(current)), valueMatch[1]]);
      return variants(schema).flatMap((s) => s.enum ?? (s.type === 'boolean' ? [true, false] : [])).map((v) => ({ label: String(v), kind: 'value', insertText: String(v) }));
    }
    if (!/^\s*(?:- )?[\w.-]*$/.test(current)) return [];
    const indent = indentOf(current) + (/^\s*- /.test(current) ? 2 : 0);
    const path = parentPath(lines, line, indent);
    const present = siblingKeys(lines, line, indent);
    return Object.entries(this.properties(path, siblingValue(lines, line, indent, TAG)))
      .filter(([name]) => !present.has(name))
      .map(([name, s]) => ({
        label: name,
        kind: 'property',
        insertText: isObject(s) ? `${name}:\n${' '.repeat(indent + 2)}` : `${name}: `,
        documentation: documentation([...path, name].join('.'), s),
        detail: typeName(s),
      }));
  }

  /** The schema of a key path (numeric segments index arrays). */
  resolve(path: (string | number)[]): JsonSchema | undefined {
    let nodes: JsonSchema[] = [this.schema];
    for (const seg of path) {
      nodes = nodes.flatMap(variants).flatMap((n) => {
        if (typeof seg === 'number' || /^\d+$/.test(String(seg))) return n.items ? [n.items] : [];
        return n.properties?.[seg] ? [n.properties[seg]] : [];
      });
      if (!nodes.length) return undefined;
    }
    return nodes[0];
  }

  /** The keys of the object at `path`; of a tagged union, those of the variant whose `name` is `tag`. */
  private properties(path: (string | number)[], tag?: unknown): Record<string, JsonSchema> {
    const schema = this.resolve(path);
    return Object.assign({}, ...taggedVariants(variants(schema), tag).map((v) => v.properties ?? {}));
  }
}

/** The key that tells the variants of a union of objects apart (`algorithm.name`: grpo, rloo, dpo). */
const TAG = 'name';

function tagValues(s: JsonSchema): unknown[] | undefined {
  return s.properties?.[TAG]?.enum;
}

/** Of object variants that each fix `name` to an enum, the one `tag` selects (the first, the default,
 * when `tag` is absent); other lists of variants unchanged. */
function taggedVariants(list: JsonSchema[], tag: unknown): JsonSchema[] {
  if (list.length < 2 || !list.every((v) => tagValues(v))) return list;
  const picked = tag === undefined ? list[0] : list.find((v) => tagValues(v)!.includes(tag));
  return picked ? [picked] : list;
}

// --- helpers ----------------------------------------------------------------------------------

function variants(s: JsonSchema | undefined): JsonSchema[] {
  if (!s) return [];
  return s.anyOf ? s.anyOf.flatMap(variants) : [s];
}

function isObject(s: JsonSchema): boolean {
  return variants(s).some((v) => v.type === 'object' || v.type === 'array');
}

function typeName(s: JsonSchema): string {
  return variants(s)
    .map((v) => (v.enum ? v.enum.map((e) => JSON.stringify(e)).join(' | ') : v.type === 'array' ? `${typeName(v.items ?? {})}[]` : String(v.type ?? 'any')))
    .join(' | ');
}

function documentation(path: string, s: JsonSchema): string {
  const parts = [`**${path}**: \`${typeName(s)}\``];
  const description = s.description ?? variants(s).find((v) => v.description)?.description;
  if (description) parts.push(description);
  if (s.default !== undefined && typeof s.default !== 'object') parts.push(`Default: \`${JSON.stringify(s.default)}\``);
  else if (s.default === null) parts.push('Default: `null`');
  return parts.join('\n\n');
}

/** Drops the noise of anyOf. For a tagged union (variants told apart by `name`), keep the errors of the
 * variant the value's `name` selects; otherwise, when a value fails all branches, keep only the summary. */
function pruneAnyOf(errors: ErrorObject[]): ErrorObject[] {
  const drop = new Set<ErrorObject>();
  for (const e of errors.filter((x) => x.keyword === 'anyOf')) {
    const branches = e.schema as JsonSchema[];
    const data = e.data as Record<string, unknown> | null;
    const picked = data && typeof data === 'object' ? taggedVariants(branches, data[TAG]) : branches;
    if (picked.length !== 1 || branches.length < 2) continue;
    const keep = `${e.schemaPath}/${branches.indexOf(picked[0])}/`;
    drop.add(e);
    for (const other of errors) {
      if (other.schemaPath.startsWith(`${e.schemaPath}/`) && !other.schemaPath.startsWith(keep)) drop.add(other);
    }
  }
  const kept = errors.filter((e) => !drop.has(e));
  const anyOfPaths = new Set(kept.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  return kept.filter((e) => e.keyword === 'anyOf' || ![...anyOfPaths].some((p) => e.instancePath === p));
}

function describeError(err: ErrorObject, key: string | undefined, siblings: Record<string, JsonSchema>): string {
  switch (err.keyword) {
    case 'additionalProperties': {
      const near = closest(key!, Object.keys(siblings));
      return `unknown key "${key}"${near ? ` (did you mean "${near}"?)` : ''}`;
    }
    case 'required':
      return `missing required key "${err.params.missingProperty}"`;
    case 'enum':
      return `must be one of ${(err.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'anyOf':
      return 'value does not match any allowed type';
    default:
      return err.message ?? err.keyword;
  }
}

function closest(word: string, options: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const o of options) {
    const d = editDistance(word, o);
    if (d < bestD) [best, bestD] = [o, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]++;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

function keyNode(root: unknown, path: string[], key: string): YamlNode | undefined {
  let node = root;
  for (const seg of path) {
    if (isMap(node)) node = node.items.find((p) => isScalar(p.key) && String(p.key.value) === seg)?.value;
    else if (isSeq(node)) node = node.items[Number(seg)];
    else return undefined;
  }
  if (!isMap(node)) return undefined;
  return node.items.find((p) => isScalar(p.key) && String(p.key.value) === key)?.key as YamlNode | undefined;
}

function findKey(node: unknown, offset: number, path: (string | number)[]): { path: (string | number)[]; range: [number, number] } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key) || !pair.key.range) continue;
      const keyPath = [...path, String(pair.key.value)];
      if (offset >= pair.key.range[0] && offset <= pair.key.range[1]) return { path: keyPath, range: [pair.key.range[0], pair.key.range[1]] };
      const inner = findKey(pair.value, offset, keyPath);
      if (inner) return inner;
    }
  } else if (isSeq(node)) {
    for (let i = 0; i < node.items.length; i++) {
      const inner = findKey(node.items[i], offset, [...path, i]);
      if (inner) return inner;
    }
  }
  return undefined;
}

function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let i = 0; i < line; i++) {
    const nl = text.indexOf('\n', offset);
    if (nl === -1) return text.length;
    offset = nl + 1;
  }
  return offset + column;
}

function indentOf(line: string): number {
  return /^\s*/.exec(line)![0].length;
}

/** The key path enclosing a line at `indent`, found from the less-indented `key:` lines above it. */
function parentPath(lines: string[], line: number, indent: number): string[] {
  const path: string[] = [];
  let limit = indent;
  for (let i = line - 1; i >= 0 && limit > 0; i--) {
    const text = lines[i];
    if (!text.trim() || text.trim().startsWith('#')) continue;
    const m = /^(\s*)(- )?([\w.-]+):\s*(#.*)?$/.exec(text);
    const ind = indentOf(text);
    if (m && ind < limit) {
      path.unshift(m[3]);
      limit = ind;
      if (m[2]) path.splice(1, 0, '0'); // `- key:` opens a list item: the path goes through an index
    } else if (/^\s*- /.test(text) && ind < limit) {
      path.unshift('0');
      limit = ind + 1;
    } else if (ind < limit) {
      limit = ind;
    }
  }
  return path;
}

/** The scalar value of sibling key `key` at `indent` in the same block as `line`, if any. */
function siblingValue(lines: string[], line: number, indent: number, key: string): string | undefined {
  for (const step of [-1, 1]) {
    for (let i = line + step; i >= 0 && i < lines.length; i += step) {
      const text = lines[i];
      if (!text.trim()) continue;
      if (indentOf(text) < indent) break;
      const m = new RegExp(`^\\s*${key}:\\s*([\\w.-]+)\\s*(#.*)?$`).exec(text);
      if (m && indentOf(text) === indent) return m[1];
    }
  }
  return undefined;
}

/** Keys already present at `indent` in the same block as `line`. */
function siblingKeys(lines: string[], line: number, indent: number): Set<string> {
  const keys = new Set<string>();
  const scan = (from: number, step: number) => {
    for (let i = from; i >= 0 && i < lines.length; i += step) {
      const text = lines[i];
      if (!text.trim()) continue;
      const ind = indentOf(text) + (/^\s*- /.test(text) ? 2 : 0);
      if (ind < indent) break;
      const m = /^\s*(?:- )?([\w.-]+):/.exec(text);
      if (m && ind === indent) keys.add(m[1]);
      if (/^\s*- /.test(text) && indentOf(text) + 2 === indent && step === -1) break;
    }
  };
  scan(line - 1, -1);
  scan(line + 1, 1);
  return keys;
}
