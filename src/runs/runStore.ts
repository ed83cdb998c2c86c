import * as fs from 'node:fs';
import * as path from 'node:path';
import { Emitter } from './emitter';
import type { Run, RunStore } from './model';
import { LIVE_STATUSES } from './model';
import { runPaths } from './runFormat';
import { RunReader } from './runReader';
import type { Liveness } from './status';
import { defaultLiveness } from './status';

export interface RunStoreOptions {
  /** Live runs are polled this often (watchers miss changes on network filesystems). */
  pollMs?: number;
  /** Roots are rescanned and finished runs re-checked every this many polls. */
  rescanEvery?: number;
  liveness?: (lastSignOfLife: number | undefined) => Liveness;
}

/**
 * Every run under a set of root folders (a run is a subfolder holding run.json, or logs/ while the
 * trainer starts). fs.watch gives quick updates; a polling timer is the fallback.
 */
export class FsRunStore implements RunStore {
  private readonly readers = new Map<string, RunReader>();
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private readonly changedRuns = new Emitter<void>();
  readonly onDidChangeRuns = this.changedRuns.event;
  private roots: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: RunStoreOptions = {}) {}

  runs(): readonly Run[] {
    return [...this.readers.values()].sort((a, b) => sortKey(b).localeCompare(sortKey(a)));
  }

  get(id: string): RunReader | undefined {
    return this.readers.get(id);
  }

  byDir(dir: string): RunReader | undefined {
    return this.readers.get(path.basename(dir));
  }

  /** Sets the roots, scans them and starts watching and polling. */
  async setRoots(roots: string[]): Promise<void> {
    this.roots = [...new Set(roots.map((r) => path.resolve(r)))];
    for (const [key, watcher] of this.watchers) {
      if (!this.roots.includes(key) && !this.readers.has(path.basename(key))) {
        watcher.close();
        this.watchers.delete(key);
      }
    }
    for (const root of this.roots) this.watch(root, () => this.schedule(root, () => this.rescan()));
    await this.rescan();
    if (!this.timer) this.timer = setInterval(() => void this.tick(), this.options.pollMs ?? 1000);
  }

  /** Adds a run folder at once (e.g. one the launcher just created). */
  async add(dir: string): Promise<RunReader> {
    const existing = this.byDir(dir);
    if (existing) {
      await existing.refresh();
      return existing;
    }
    const reader = new RunReader(path.resolve(dir), this.options.liveness ?? defaultLiveness);
    this.readers.set(reader.id, reader);
    this.watch(reader.dir, () => this.schedule(reader.dir, () => reader.refresh()));
    await reader.refresh();
    this.changedRuns.fire();
    reader.onDidChange(() => this.changedRuns.fire());
    return reader;
  }

  /** Forgets a run (after it was deleted). */
  remove(id: string): void {
    const reader = this.readers.get(id);
    if (!reader) return;
    this.watchers.get(reader.dir)?.close();
    this.watchers.delete(reader.dir);
    reader.dispose();
    this.readers.delete(id);
    this.changedRuns.fire();
  }

  async rescan(): Promise<void> {
    const found = new Set<string>();
    for (const root of this.roots) {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(root, { withFileTypes: true });
      } catch {
        continue; // a root that does not exist (yet) is not an error
      }
      for (const entry of entries) {
        if (!entry.isDirectory()) continue;
        const dir = path.join(root, entry.name);
        if (fs.existsSync(runPaths(dir).manifest) || fs.existsSync(runPaths(dir).logs)) found.add(dir);
      }
    }
    for (const dir of found) if (!this.byDir(dir)) await this.add(dir);
    for (const reader of [...this.readers.values()]) if (!fs.existsSync(reader.dir)) this.remove(reader.id);
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const t of this.pending.values()) clearTimeout(t);
    for (const w of this.watchers.values()) w.close();
    for (const r of this.readers.values()) r.dispose();
    this.watchers.clear();
    this.readers.clear();
    this.changedRuns.dispose();
  }

  // ---

  private async tick(): Promise<void> {
    const full = ++this.ticks % (this.options.rescanEvery ?? 5) === 0;
    if (full) await this.rescan();
    for (const reader of this.readers.values()) {
      const live = !reader.manifest || LIVE_STATUSES.includes(reader.derived.status);
      if (full || live) await reader.refresh().catch((err) => console.error(`RL Studio: reading ${reader.dir} failed`, err));
    }
  }

  private watch(target: string, onChange: () => void): void {
    if (this.watchers.has(target)) return;
    try {
      const watcher = fs.watch(target, { persistent: false }, onChange);
      watcher.on('error', () => {
        watcher.close();
        this.watchers.delete(target);
      });
      this.watchers.set(target, watcher);
    } catch {
      // missing folder or no watcher support: polling covers it
    }
  }

  /** Debounces bursts of watcher events per target. */
  private schedule(key: string, action: () => Promise<void>): void {
    if (this.pending.has(key)) return;
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        action().catch((err) => console.error('RL Studio: refresh failed', err));
      }, 50),
    );
  }
}

function sortKey(run: Run): string {
  return run.manifest?.createdAt || run.id;
}
