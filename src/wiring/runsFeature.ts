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
      vscode.window.createTreeView('rlstudio.runs', { treeDataProvider: tree, showCollapseAll: true }),
      new RunStatusBar(this.store),
      new ConfigLanguage(extension.extensionPath),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.updateRoots()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('rlstudio.runDirectories') && void this.updateRoots()),
    );
    void this.updateRoots();
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
