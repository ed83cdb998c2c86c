import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Log } from '../log';
import { readConfig } from '../config';
import { ConfigLanguage } from '../configs/configLanguage';
import { createRunConfig } from '../configs/createConfig';
import { setUpEnvironment } from '../python/setupEnvironment';
import { RunManager } from '../trainer/runManager';
import { RunTreeProvider } from '../views/runTree';
import type { RunNode } from '../views/runTree';
import { pickRun } from '../views/pickRun';
import { selectSubset, type SubsetChoice } from '../trainer/selectSubset';
import { RunStatusBar } from '../views/statusBar';
import { LIVE_STATUSES } from '../runs/model';
import { runsRoot } from '../runs/runFormat';
import { FsRunStore } from '../runs/runStore';

/**
 * Everything about runs outside the webviews: the run store, the Runs view, the status bar item,
 * starting/stopping/resuming, run-config editing support and trainer environment set-up.
 * Webviews read runs through `store` (the `RunStore` interface of ./model).
 */
export class RunsFeature implements vscode.Disposable {
  readonly store = new FsRunStore();
  readonly manager: RunManager;
  /** The Runs view's tree (the inline feature lets its step items expand to prompts and samples). */
  readonly tree: RunTreeProvider;
  /** Settles when the first scan of the run folders has ended (found runs or not). */
  readonly scanned: Promise<void>;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly extension: vscode.ExtensionContext,
    private readonly log: Log,
  ) {
    this.manager = new RunManager(this.store, log);
    const tree = (this.tree = new RunTreeProvider(this.store));
    this.subscriptions.push(
      this.store,
      this.manager,
      tree,
      vscode.window.createTreeView('rlstudio.runs', { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true }),
      new RunStatusBar(this.store),
      new ConfigLanguage(extension.extensionPath),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.updateRoots()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('rlstudio.runDirectories') && void this.updateRoots()),
    );
    this.scanned = this.updateRoots();
  }

  /** Run folders: `.rlstudio/runs` in every workspace folder plus `rlstudio.runDirectories`. */
  roots(): string[] {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const extra = readConfig().runDirectories;
    const base = folders[0]?.uri.fsPath ?? process.cwd();
    return [...folders.map((f) => runsRoot(f.uri.fsPath)), ...extra.map((d) => path.resolve(base, d))];
  }

  // --- commands ---

  start = (uri?: vscode.Uri) => this.manager.start(uri instanceof vscode.Uri ? uri : undefined);
  stop = async (node?: RunNode) => this.manager.stop(node ?? (await this.pick('Stop which run?', true)));
  save = async (node?: RunNode) => this.manager.save(node ?? (await this.pick('Save a checkpoint of which run?', true)));
  resume = async (node?: RunNode) => this.manager.resume(node ?? (await this.pick('Resume which run?', false)));
  /** `rlstudio select-subset` on an ended run: LIMR by size or threshold, or the solved/unsolved baseline. */
  selectSubset = async (node?: RunNode) => {
    if (!this.manager.requireTrust()) return;
    const run = (node ?? (await this.pick('Select a training subset from which run?', false)))?.run;
    if (!run) return;
    const choice = await pickSubsetChoice();
    if (!choice) return;
    const cli = await this.manager.cli(vscode.workspace.getWorkspaceFolder(vscode.Uri.file(run.dir)) ?? vscode.workspace.workspaceFolders?.[0]);
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Selecting a training subset of ${run.name()}…` },
        () => selectSubset(cli, run.dir, choice),
      );
      if (!result.ok) {
        void vscode.window.showWarningMessage(`No subset written: ${result.message}`);
        return;
      }
      await vscode.window.showTextDocument(vscode.Uri.file(result.report), { preview: false });
      const open = await vscode.window.showInformationMessage(`Selected ${result.selected} prompts: ${path.basename(result.dataset)}`, 'Open Dataset');
      if (open) await vscode.window.showTextDocument(vscode.Uri.file(result.dataset));
    } catch (err) {
      void vscode.window.showErrorMessage(`${(err as Error).message}. Run "RL Studio: Set Up Trainer Environment".`);
    }
  };
  open = async (node?: RunNode) => this.manager.open(node ?? (await this.pick('Open which run?')));
  showLog = async (node?: RunNode) => this.manager.showLog(node ?? (await this.pick('Show the log of which run?')));
  openConfig = (node?: RunNode) => this.manager.openConfig(node);
  reveal = (node?: RunNode) => this.manager.reveal(node);
  delete = (node?: RunNode) => this.manager.delete(node);
  refresh = () => this.updateRoots();
  createConfig = () => createRunConfig();
  /** Copies the trainer's CPU demo config into the workspace (once) and starts it. */
  runDemo = async () => {
    if (!this.manager.requireTrust()) return;
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) {
      void vscode.window.showErrorMessage('Open a folder first: the demo run is written into it.');
      return;
    }
    const target = vscode.Uri.joinPath(folder.uri, 'demo.rlstudio.yaml');
    try {
      await vscode.workspace.fs.stat(target);
    } catch {
      const source = vscode.Uri.joinPath(this.extension.extensionUri, 'trainer', 'rlstudio', 'configs', 'demo.rlstudio.yaml');
      await vscode.workspace.fs.copy(source, target);
    }
    await vscode.window.showTextDocument(target);
    return this.manager.start(target);
  };
  setUpEnvironment = () => {
    if (!this.manager.requireTrust()) return;
    return setUpEnvironment(this.extension.extensionPath, String(this.extension.extension.packageJSON.version), this.log);
  };

  dispose(): void {
    for (const s of this.subscriptions.splice(0).reverse()) s.dispose();
  }

  private async updateRoots(): Promise<void> {
    try {
      await this.store.setRoots(this.roots());
    } catch (err) {
      this.log.error(`scanning run folders failed: ${(err as Error).message}`);
    }
  }

  /** A quick pick of runs; `live` true: only live ones, false: only ended ones. */
  private async pick(title: string, live?: boolean): Promise<RunNode | undefined> {
    const runs = this.store.runs().filter((r) => live === undefined || LIVE_STATUSES.includes(r.derived.status) === live);
    const run = await pickRun(runs, { title, none: live ? 'No run is running.' : 'There are no runs.' });
    return run && { kind: 'run', run };
  }
}

async function pickSubsetChoice(): Promise<SubsetChoice | undefined> {
  const methods = [
    { label: 'LIMR: the N best prompts', description: 'learning-impact score, --size N', id: 'size' },
    { label: 'LIMR: prompts scoring at least T', description: 'the paper keeps 0.6, --threshold T', id: 'threshold' },
    { label: 'Baseline: drop always-solved and never-solved prompts', id: 'baseline' },
  ] as const;
  const method = await vscode.window.showQuickPick(methods, { title: 'Select Training Subset (LIMR)' });
  if (!method) return undefined;
  if (method.id === 'baseline') return { method: 'drop-solved-unsolved' };
  const isSize = method.id === 'size';
  const value = await vscode.window.showInputBox({
    title: method.label,
    prompt: isSize ? 'How many prompts to keep' : 'Lowest learning-impact score to keep (at most 1)',
    value: isSize ? '100' : '0.6',
    validateInput: (text) => {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) return 'Enter a number';
      return isSize && (!Number.isInteger(n) || n <= 0) ? 'Enter a positive whole number' : undefined;
    },
  });
  if (value === undefined) return undefined;
  return isSize ? { method: 'limr', size: Number(value) } : { method: 'limr', threshold: Number(value) };
}
