// The KP editor panel: one per *.kp.jsonl file. Saves without losing concurrent edits: before
// writing, the file on disk is compared with the text the editor loaded; if it changed, the two are
// merged by problem (kpMerge) and the user is told — a collision is never overwritten silently.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseKp, serializeKp, type KpEntry } from '../../knowledge/kpFile';
import { KpRevisions, contentHash, mergeKp } from '../../knowledge/kpMerge';
import type { SubsetProblemResult } from '../../worker/protocol';
import { WebviewPanelHost } from '../shared/webviewPanel';
import type { KpEditorProtocol, KpEditorState, ProblemInfo } from './protocol';

/** The `*.kp.jsonl` file named by the state a restored editor's app saved, if any. */
export function savedKpFile(saved: unknown): string | undefined {
  const file = (saved as { file?: unknown } | undefined)?.file;
  return typeof file === 'string' && file.endsWith('.kp.jsonl') ? file : undefined;
}

export class KpEditorPanel implements vscode.Disposable {
  static readonly viewType = 'rlstudio.kpEditor';
  private readonly host: WebviewPanelHost<KpEditorProtocol>;
  private readonly disposables: vscode.Disposable[] = [];
  private base: KpEntry[] = [];
  private baseHash = '';
  private state: KpEditorState;
  private readonly revisions = new KpRevisions();

  constructor(
    extensionUri: vscode.Uri,
    readonly file: string,
    private readonly memento: vscode.Memento,
    onDispose: () => void,
    /** A panel VS Code restored after a window reload. */
    panel?: vscode.WebviewPanel,
  ) {
    this.state = { file, entries: [], revision: 0, problems: {}, dataset: null, subsets: {}, dirty: false, fileProblems: [], error: null, notice: null };
    this.host = new WebviewPanelHost<KpEditorProtocol>({
      viewType: KpEditorPanel.viewType,
      title: `Knowledge Points: ${path.basename(file)}`,
      app: 'kpEditor',
      extensionUri,
      initialState: this.state,
      panel,
      ipc: { snapshots: ['kp/state'], onError: (method, error) => this.notify(`${method} failed: ${String(error)}`) },
    });
    const ipc = this.host.ipc;
    ipc.onReady(() => this.publish());
    ipc.onCommand('kp/edit', ({ entries, revision }) => {
      if (revision !== this.state.revision) {
        this.rebase(entries, revision);
        return;
      }
      this.state.entries = entries;
      this.state.dirty = serializeKp(entries) !== serializeKp(this.base);
    });
    ipc.onCommand('kp/save', ({ entries, revision }) => {
      if (revision === this.state.revision) return this.save(entries);
      // Saved from entries the host has replaced since (a reload crossed the edits): merge first,
      // and write only when nothing collides.
      const merged = this.rebase(entries, revision);
      if (merged.conflicts.length === 0) return this.save(merged.entries);
    });
    ipc.onCommand('kp/reload', () => this.load('Reloaded from disk.'));
    ipc.onCommand('kp/linkDataset', () => this.linkDataset());
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(path.dirname(file), path.basename(file)));
    this.disposables.push(watcher, watcher.onDidChange(() => this.changedOnDisk()), watcher.onDidCreate(() => this.changedOnDisk()));
    this.host.onDidDispose(() => {
      this.dispose();
      onDispose();
    });
  }

  reveal(): void {
    this.host.panel.reveal();
  }

  async load(notice: string | null = null): Promise<void> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
      this.state.error = null;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      this.state.error = code === 'ENOENT' ? `${this.file} no longer exists (moved or deleted?). The editor reloads it when it is back.` : `Cannot read ${this.file}: ${String(error)}`;
      text = '';
    }
    const parsed = parseKp(text);
    this.base = parsed.entries;
    this.baseHash = this.state.error ? '' : contentHash(text); // nothing read: whatever appears is a change
    this.state.fileProblems = parsed.problems.map((p) => `line ${p.line}${p.field ? ` (${p.field})` : ''}: ${p.message}`);
    this.state.dataset = this.memento.get<string>(datasetKey(this.file)) ?? null;
    this.state.problems = this.state.dataset ? await readProblems(this.state.dataset) : {};
    this.state.subsets = await readSubsets(this.file);
    this.replaceEntries(parsed.entries, notice);
  }

  /** Brings edits made on an older revision onto the current entries (see KpRevisions). */
  private rebase(entries: KpEntry[], revision: number): ReturnType<KpRevisions['rebase']> {
    const merged = this.revisions.rebase(revision, entries, this.state.entries);
    const name = path.basename(this.file);
    const notice =
      merged.conflicts.length > 0
        ? `${name} changed on disk as you edited. Changed on both sides, your version is kept (unsaved): ${merged.conflicts.join(', ')}. Reload to take the disk's.`
        : `${name} changed on disk as you edited; your edits are kept on top of it (unsaved).`;
    this.replaceEntries(merged.entries, notice);
    return merged;
  }

  private replaceEntries(entries: KpEntry[], notice: string | null): void {
    this.state.entries = entries;
    this.state.revision++;
    this.revisions.record(this.state.revision, entries);
    this.state.dirty = serializeKp(entries) !== serializeKp(this.base);
    this.state.notice = notice;
    this.publish();
  }

  private async save(entries: KpEntry[]): Promise<void> {
    if (this.state.error) return this.notify(`Not saved: ${this.state.error}`);
    if (this.state.fileProblems.length > 0) {
      const choice = await vscode.window.showWarningMessage(
        `${path.basename(this.file)} has lines the editor could not read (${this.state.fileProblems[0]}). Saving drops them.`,
        { modal: true },
        'Save Anyway',
      );
      if (choice !== 'Save Anyway') return;
    }
    const disk = await fs.readFile(this.file, 'utf8').catch(() => '');
    let toWrite = entries;
    let notice = `Saved ${entries.length} problems.`;
    if (contentHash(disk) !== this.baseHash) {
      const theirs = parseKp(disk).entries;
      const merged = mergeKp(this.base, entries, theirs);
      if (merged.conflicts.length > 0) {
        const choice = await vscode.window.showWarningMessage(
          `${path.basename(this.file)} changed on disk while you edited it. Problems changed on both sides: ${merged.conflicts.join(', ')}.`,
          { modal: true },
          'Keep Mine for These',
          'Take Disk for These',
        );
        if (!choice) return this.notify('Not saved: the file changed on disk. Save again to choose, or reload.');
        const take = new Map(theirs.map((e) => [e.problem, e]));
        toWrite = choice === 'Keep Mine for These' ? merged.entries : merged.entries.map((e) => (merged.conflicts.includes(e.problem) ? take.get(e.problem) ?? e : e));
      } else {
        toWrite = merged.entries;
      }
      notice = `The file changed on disk; merged ${merged.fromDisk.length} problem(s) from disk (${merged.fromDisk.join(', ') || 'none'}) with your edits and saved.`;
      void vscode.window.showInformationMessage(notice);
    }
    const text = serializeKp(toWrite);
    // The watcher's event for our own write is recognised by its content (changedOnDisk compares
    // hashes), not by a time window, which also swallowed external changes made right after a save.
    const previousHash = this.baseHash;
    this.baseHash = contentHash(text);
    try {
      await fs.writeFile(this.file, text, 'utf8');
    } catch (error) {
      this.baseHash = previousHash;
      throw error;
    }
    this.base = toWrite;
    this.state.fileProblems = [];
    if (toWrite === entries) {
      this.state.entries = entries;
      this.state.dirty = false;
      this.state.notice = notice;
      this.publish();
    } else {
      this.replaceEntries(toWrite, notice);
    }
  }

  private async changedOnDisk(): Promise<void> {
    const disk = await fs.readFile(this.file, 'utf8').catch(() => '');
    if (contentHash(disk) === this.baseHash) return;
    if (!this.state.dirty) {
      await this.load(`${path.basename(this.file)} changed on disk; reloaded.`);
    } else {
      this.notify(`${path.basename(this.file)} changed on disk. Your edits are kept; saving merges the two and tells you about any collision.`);
    }
  }

  private async linkDataset(): Promise<void> {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Datasets: ['jsonl', 'json'] }, defaultUri: vscode.Uri.file(path.dirname(this.file)) });
    if (!picked?.[0]) return;
    await this.memento.update(datasetKey(this.file), picked[0].fsPath);
    this.state.dataset = picked[0].fsPath;
    this.state.problems = await readProblems(picked[0].fsPath);
    this.publish();
  }

  private notify(notice: string): void {
    this.state.notice = notice;
    this.publish();
  }

  private publish(): void {
    this.host.ipc.notify('kp/state', { ...this.state, entries: this.state.entries });
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.host.dispose();
  }
}

function datasetKey(file: string): string {
  return `rlstudio.kp.dataset:${file}`;
}

/** id → {text, answer} from a JSONL dataset with `id`, `prompt` (or `question`) and `answer` columns. */
export async function readProblems(dataset: string, idColumn = 'id'): Promise<Record<string, ProblemInfo>> {
  const out: Record<string, ProblemInfo> = {};
  const text = await fs.readFile(dataset, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const row = JSON.parse(line) as Record<string, unknown>;
      const prompt = row.prompt ?? row.question ?? '';
      out[String(row[idColumn])] = {
        text: typeof prompt === 'string' ? prompt : JSON.stringify(prompt),
        answer: row.answer === undefined || row.answer === null ? null : String(row.answer),
      };
    } catch {
      // a bad line: the problem simply shows without text
    }
  }
  return out;
}

async function readSubsets(kpFile: string): Promise<Record<string, SubsetProblemResult>> {
  const file = kpFile.replace(/\.kp\.jsonl$/, '.kp.subsets.json');
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as { problems?: Record<string, SubsetProblemResult> };
    return parsed.problems ?? {};
  } catch {
    return {};
  }
}
