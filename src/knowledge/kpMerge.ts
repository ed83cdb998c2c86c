// Concurrent edits of a KP file: the editor saves only after comparing the file on disk with the
// text it loaded. When both changed, a three-way merge by problem id keeps every change that does
// not collide; a problem changed differently on both sides is a conflict, and nothing is written
// until the user chooses. Pure.

import { createHash } from 'node:crypto';
import type { KpEntry } from './kpFile';

export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface MergeResult {
  entries: KpEntry[];
  /** Problem ids changed differently in the editor and on disk. */
  conflicts: string[];
  /** Problem ids taken from disk (changed there only). */
  fromDisk: string[];
}

/**
 * base: the entries when the editor loaded the file; mine: the editor's entries; theirs: on disk now.
 * Order: theirs' order, with problems only the editor added appended in its order.
 */
export function mergeKp(base: readonly KpEntry[], mine: readonly KpEntry[], theirs: readonly KpEntry[]): MergeResult {
  const key = (e: KpEntry | undefined): string => (e ? JSON.stringify([e.points, e.selected]) : '∅');
  const baseBy = new Map(base.map((e) => [e.problem, e]));
  const mineBy = new Map(mine.map((e) => [e.problem, e]));
  const theirsBy = new Map(theirs.map((e) => [e.problem, e]));
  const order = [...theirs.map((e) => e.problem), ...mine.map((e) => e.problem).filter((p) => !theirsBy.has(p))];
  const result: MergeResult = { entries: [], conflicts: [], fromDisk: [] };
  for (const problem of new Set([...order, ...base.map((e) => e.problem)])) {
    const b = baseBy.get(problem);
    const m = mineBy.get(problem);
    const t = theirsBy.get(problem);
    let chosen: KpEntry | undefined;
    if (key(m) === key(t)) chosen = m;
    else if (key(m) === key(b)) {
      chosen = t; // only the disk changed it
      result.fromDisk.push(problem);
    } else if (key(t) === key(b)) chosen = m; // only the editor changed it
    else {
      result.conflicts.push(problem);
      chosen = m;
    }
    if (chosen) result.entries.push(chosen);
  }
  const position = new Map(order.map((p, i) => [p, i]));
  result.entries.sort((a, b) => (position.get(a.problem) ?? 1e9) - (position.get(b.problem) ?? 1e9));
  return result;
}
