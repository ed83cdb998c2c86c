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

/**
 * The entries the editor was given at each recent revision. Edits travel from the webview as
 * messages: one made just before the host reloaded the file from disk arrives based on the older
 * revision, and is merged onto the reloaded entries instead of being dropped by the reload.
 */
export class KpRevisions {
  private readonly byRevision = new Map<number, readonly KpEntry[]>();

  constructor(private readonly keep = 8) {}

  record(revision: number, entries: readonly KpEntry[]): void {
    this.byRevision.set(revision, entries);
    for (const old of this.byRevision.keys()) if (old <= revision - this.keep) this.byRevision.delete(old);
  }

  /**
   * `edited` (made on the entries of `revision`) merged onto `current` (the latest revision's). A
   * revision too old to be known is taken as the editor's whole version: every difference is a conflict.
   */
  rebase(revision: number, edited: readonly KpEntry[], current: readonly KpEntry[]): MergeResult {
    const base = this.byRevision.get(revision);
    if (base) return mergeKp(base, edited, current);
    const merged = mergeKp(current, edited, current);
    const same = new Map(current.map((e) => [e.problem, JSON.stringify(e)]));
    merged.conflicts = edited.filter((e) => same.has(e.problem) && same.get(e.problem) !== JSON.stringify(e)).map((e) => e.problem);
    return merged;
  }
}
