// Reward functions in the editor: the CodeLens above each one ("Test on Rollouts", "Add to Run
// Config"), the Reward Lab panel (on the run store's runs; restored after a window reload), and the
// worker they run in. Owned by the Ctx.

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Log } from '../log';
import { COMMAND_IDS } from '../commandIds';
import type { RunStore } from '../runs/model';
import type { ScoringClient } from '../onnx/scoringClient';
import { RewardLabPanel, type OpenLabArgs, type RestoredLab } from '../webviews/rewardLab/rewardLabPanel';
import { WorkerHost } from '../worker/workerHost';
import { addRewardToConfig, AddToConfigError } from '../rewards/addToConfig';
import { findRewardFunctions } from '../rewards/rewardFunctions';
import type { RunNode } from '../views/runTree';
import { makePreferencePairs } from './pairsFeature';

export class RewardsFeature implements vscode.Disposable {
  readonly worker: WorkerHost;
  private lab: RewardLabPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    /** The runs whose rollouts the Lab scores: the Runs view's. */
    private readonly store: RunStore,
    /** Settles when the store's first scan has ended (the Lab opened before it updates then). */
    private readonly scanned: Promise<void>,
    /** The scoring process (the ONNX feature's), for the Lab's ONNX reward models. */
    private readonly scoring: ScoringClient,
    private readonly log: Log,
  ) {
    this.worker = new WorkerHost(log);
    this.disposables.push(
      this.worker,
      vscode.languages.registerCodeLensProvider({ language: 'python', scheme: 'file' }, new RewardCodeLens()),
      vscode.window.registerWebviewPanelSerializer(RewardLabPanel.viewType, {
        deserializeWebviewPanel: async (panel, saved: unknown) => {
          this.lab?.dispose();
          // Untrusted workspace: the worker refuses, and the panel says why.
          const { functions, source } = (saved ?? {}) as Partial<RestoredLab['saved']>;
          void this.createLab({ panel, saved: { functions: functions ?? [], source: source ?? { kind: 'none' } } }).restore();
        },
      }),
    );
  }

  async openLab(args: OpenLabArgs = {}): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('The Reward Lab runs reward code: trust this workspace to use it.');
      return;
    }
    if (!args.file) {
      const editor = vscode.window.activeTextEditor;
      if (editor?.document.languageId === 'python') {
        const line = editor.selection.active.line;
        const fn = findRewardFunctions(editor.document.getText()).filter((f) => f.line <= line).at(-1);
        if (fn) args = { file: editor.document.uri.fsPath, name: fn.name };
      }
    }
    this.lab ??= this.createLab();
    this.lab.reveal();
    await this.lab.open(args);
  }

  private createLab(restored?: RestoredLab): RewardLabPanel {
    const lab: RewardLabPanel = new RewardLabPanel(this.extensionUri, this.worker, this.store, this.scanned, (params) => this.scoring.request('reward', params), this.log, () => this.lab === lab && (this.lab = undefined), restored);
    this.lab = lab;
    return lab;
  }

  /** "Make Preference Pairs" on a run of the Runs view, or one picked (./pairsFeature.ts). */
  makePairs = (node?: RunNode) => makePreferencePairs(this.worker, this.store, node);

  async addToConfig(args: { file: string; name: string }): Promise<void> {
    const configs = await vscode.workspace.findFiles('**/*.rlstudio.yaml', '**/node_modules/**', 100);
    if (configs.length === 0) {
      void vscode.window.showWarningMessage('No run config (*.rlstudio.yaml) in this workspace to add the reward to.');
      return;
    }
    let target = configs[0]!;
    if (configs.length > 1) {
      const pick = await vscode.window.showQuickPick(
        configs.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
        { placeHolder: `Add ${args.name} to which run config?` },
      );
      if (!pick) return;
      target = pick.uri;
    }
    const document = await vscode.workspace.openTextDocument(target);
    const ref = `${path.relative(path.dirname(target.fsPath), args.file).split(path.sep).join('/')}:${args.name}`;
    let text: string;
    try {
      text = addRewardToConfig(document.getText(), { name: args.name, ref }, vscode.workspace.asRelativePath(target));
    } catch (error) {
      if (error instanceof AddToConfigError) {
        void vscode.window.showWarningMessage(error.message);
        return;
      }
      throw error;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(target, new vscode.Range(0, 0, document.lineCount, 0), text);
    await vscode.workspace.applyEdit(edit);
    await document.save();
    await vscode.window.showTextDocument(document, { preview: false });
    void vscode.window.showInformationMessage(`Added ${args.name} (${ref}) to ${vscode.workspace.asRelativePath(target)}.`);
  }

  dispose(): void {
    this.lab?.dispose();
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }
}

class RewardCodeLens implements vscode.CodeLensProvider {
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    return findRewardFunctions(document.getText()).flatMap(({ name, line }) => {
      const range = new vscode.Range(line, 0, line, 0);
      const args = { file: document.uri.fsPath, name };
      return [
        new vscode.CodeLens(range, { title: 'Test on Rollouts', command: COMMAND_IDS.openRewardLab, arguments: [args] }),
        new vscode.CodeLens(range, { title: 'Add to Run Config', command: COMMAND_IDS.addRewardToConfig, arguments: [args] }),
      ];
    });
  }
}
