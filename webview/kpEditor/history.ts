// Undo/redo over whole snapshots of the entry list (small: a KP file is a few thousand lines).

import type { KpEntry } from '../../src/knowledge/kpFile';

export class History {
  private past: KpEntry[][] = [];
  private future: KpEntry[][] = [];

  constructor(private present: KpEntry[]) {}

  get current(): KpEntry[] {
    return this.present;
  }

  /** Records a change made by `edit` on a deep copy of the present entries. */
  change(edit: (entries: KpEntry[]) => void): KpEntry[] {
    const next = structuredClone(this.present);
    edit(next);
    this.past.push(this.present);
    this.future = [];
    this.present = next;
    return next;
  }

  undo(): boolean {
    const previous = this.past.pop();
    if (!previous) return false;
    this.future.push(this.present);
    this.present = previous;
    return true;
  }

  redo(): boolean {
    const next = this.future.pop();
    if (!next) return false;
    this.past.push(this.present);
    this.present = next;
    return true;
  }
}
