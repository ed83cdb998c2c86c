// What counts as a reward function in a workspace Python file (docs/worker-protocol.md, "Reward
// functions"): a top-level `def` (or `async def`) with a parameter named `completions` — TRL's
// reward signature `f(prompts, completions, **kwargs)`. The worker's `rewards/list` applies the
// same rule with Python's own parser; this scanner is what the CodeLens uses, without a process.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TracebackFrame } from './labStats';

export interface RewardFunctionLocation {
  name: string;
  /** 0-based line of the `def`. */
  line: number;
}

const DEF = /^(?:async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(/gm;

export function findRewardFunctions(source: string): RewardFunctionLocation[] {
  const found: RewardFunctionLocation[] = [];
  for (const match of source.matchAll(DEF)) {
    const params = parameterList(source, match.index + match[0].length);
    if (params !== undefined && parameterNames(params).includes('completions')) {
      found.push({ name: match[1]!, line: lineOf(source, match.index) });
    }
  }
  return found;
}

/** The text between the opening parenthesis (just before `start`) and its matching close. */
function parameterList(source: string, start: number): string | undefined {
  let depth = 1;
  let quote: string | undefined;
  for (let i = start; i < source.length; i++) {
    const c = source[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (--depth === 0) return source.slice(start, i);
    }
  }
  return undefined;
}

/** Parameter names of a Python parameter list (annotations, defaults, `*`, `**` dropped). */
export function parameterNames(params: string): string[] {
  const names: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of params + ',') {
    if (c === '(' || c === '[' || c === '{') depth++;
    if (c === ')' || c === ']' || c === '}') depth--;
    if (c === ',' && depth === 0) {
      const name = /^\s*\**\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(current.replace(/#.*$/gm, ''));
      if (name) names.push(name[1]!);
      current = '';
    } else {
      current += c;
    }
  }
  return names;
}

function lineOf(source: string, index: number): number {
  let line = 0;
  for (let i = 0; i < index; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

/** The absolute file of a `path.py:function` ref; undefined for built-ins and module refs. */
export function refFile(ref: string, baseDir: string | undefined): string | undefined {
  const colon = ref.lastIndexOf(':');
  if (colon < 0 || !ref.slice(0, colon).endsWith('.py')) return undefined;
  const file = ref.slice(0, colon);
  return path.isAbsolute(file) ? path.resolve(file) : path.resolve(baseDir ?? '.', file);
}

/** The files of these functions' `path.py:function` refs that do not exist, with the functions that use each. */
export function missingRewardFiles(functions: { name: string; ref: string }[], baseDir: string | undefined): { file: string; functions: string[] }[] {
  const missing = new Map<string, string[]>();
  for (const { name, ref } of functions) {
    const file = refFile(ref, baseDir);
    if (file && !fs.existsSync(file)) missing.set(file, [...(missing.get(file) ?? []), name]);
  }
  return [...missing].map(([file, names]) => ({ file, functions: names }));
}

/** Where a `path.py:function` ref's function is defined (1-based line), if its file can be read and has it. */
export function functionDefinition(ref: string, baseDir: string | undefined): TracebackFrame | undefined {
  const file = refFile(ref, baseDir);
  if (!file) return undefined;
  const name = ref.slice(ref.lastIndexOf(':') + 1);
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const found = findRewardFunctions(source).find((f) => f.name === name);
  return found ? { file, line: found.line + 1, function: name } : undefined;
}

/**
 * What the Lab says of a reward file that is not there: "no longer exists" only of a file it has
 * seen (`seen`), "does not exist" of one it never has (a typo in a ref, a run made elsewhere).
 */
export function missingFileMessage(missing: { file: string; functions: string[] }, seen: ReadonlySet<string>): string {
  const state = seen.has(missing.file) ? 'no longer exists' : 'does not exist';
  return `The reward file ${missing.file} ${state}: not running ${missing.functions.join(', ')}.`;
}

/**
 * The Lab's function list for a run's samples: the functions the previous run brought (origin
 * `run`) that this run does not have are dropped; the user's own (workspace, built-in) stay.
 */
export function functionsForRun<F extends { name: string; origin: string }>(functions: readonly F[], runRewards: readonly { name: string }[]): F[] {
  const names = new Set(runRewards.map((r) => r.name));
  return functions.filter((f) => f.origin !== 'run' || names.has(f.name));
}
