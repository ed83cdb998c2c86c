// Knowledge points (KnowRL) in the editor: diagnostics for *.kp.jsonl files (schema and cross-field
// rules, by line), the KP editor panels (restored after a window reload on the file they showed),
// and "Find Minimal Hint Subsets" run in the worker.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { KpEditorPanel, savedKpFile } from '../webviews/kpEditor/kpEditorPanel';
import type { WorkerHost } from '../worker/workerHost';
import { parseKp } from '../knowledge/kpFile';

export class KnowledgeFeature implements vscode.Disposable {
  private readonly editors = new Map<string, KpEditorPanel>();
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('rlstudio-kp');
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly memento: vscode.Memento,
    private readonly worker: WorkerHost,
  ) {
    const check = (doc: vscode.TextDocument): void => this.check(doc);
    this.disposables.push(
      this.diagnostics,
      vscode.workspace.onDidOpenTextDocument(check),
      vscode.workspace.onDidChangeTextDocument((event) => check(event.document)),
      vscode.workspace.onDidCloseTextDocument((doc) => this.diagnostics.delete(doc.uri)),
      vscode.window.registerWebviewPanelSerializer(KpEditorPanel.viewType, {
        deserializeWebviewPanel: async (panel, saved: unknown) => {
          const file = savedKpFile(saved);
          if (!file) return panel.dispose(); // saved by a version that did not record its file
          this.editors.get(file)?.dispose();
          await this.createEditor(file, panel).load();
        },
      }),
    );
    vscode.workspace.textDocuments.forEach(check);
  }

  private check(doc: vscode.TextDocument): void {
    if (!doc.fileName.endsWith('.kp.jsonl')) return;
    const problems = parseKp(doc.getText()).problems;
    this.diagnostics.set(
      doc.uri,
      problems.map((p) => {
        const line = doc.lineAt(Math.min(p.line - 1, doc.lineCount - 1));
        const diagnostic = new vscode.Diagnostic(line.range, `${p.field ? `${p.field}: ` : ''}${p.message}`, vscode.DiagnosticSeverity.Error);
        diagnostic.source = 'RL Studio (kp.schema.json)';
        return diagnostic;
      }),
    );
  }

  /** The KP file to act on: the argument (explorer), the active editor's, or one picked from the workspace. */
  private async kpFile(uri?: vscode.Uri): Promise<string | undefined> {
    if (uri?.fsPath.endsWith('.kp.jsonl')) return uri.fsPath;
    const active = vscode.window.activeTextEditor?.document.uri.fsPath;
    if (active?.endsWith('.kp.jsonl')) return active;
    const files = await vscode.workspace.findFiles('**/*.kp.jsonl', '**/node_modules/**', 200);
    if (files.length === 0) {
      void vscode.window.showWarningMessage('No knowledge-point file (*.kp.jsonl) in this workspace. See docs/knowledge-points.md for the format.');
      return undefined;
    }
    if (files.length === 1) return files[0]!.fsPath;
    const pick = await vscode.window.showQuickPick(files.map((f) => ({ label: vscode.workspace.asRelativePath(f), file: f.fsPath })), { placeHolder: 'Knowledge-point file' });
    return pick?.file;
  }

  async openEditor(uri?: vscode.Uri): Promise<void> {
    const file = await this.kpFile(uri);
    if (!file) return;
    let panel = this.editors.get(file);
    if (!panel) {
      panel = this.createEditor(file);
      await panel.load();
    }
    panel.reveal();
  }

  private createEditor(file: string, restored?: vscode.WebviewPanel): KpEditorPanel {
    const panel: KpEditorPanel = new KpEditorPanel(this.extensionUri, file, this.memento, () => this.editors.get(file) === panel && this.editors.delete(file), restored);
    this.editors.set(file, panel);
    return panel;
  }

  async findMinimalSubsets(uri?: vscode.Uri): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('The subset search runs a model: trust this workspace to use it.');
      return;
    }
    const kpFile = await this.kpFile(uri);
    if (!kpFile) return;
    const folder = vscode.Uri.file(path.dirname(kpFile));
    const data = await vscode.window.showOpenDialog({ title: 'Problems dataset (id, prompt, answer columns)', defaultUri: folder, filters: { Datasets: ['jsonl', 'parquet'] } });
    if (!data?.[0]) return;
    const model = await vscode.window.showOpenDialog({ title: 'Model: a checkpoint or the base model folder', defaultUri: folder, canSelectFiles: false, canSelectFolders: true });
    if (!model?.[0]) return;
    const samples = await vscode.window.showInputBox({ title: 'Samples per subset (N)', value: '8', validateInput: (v) => (/^[1-9]\d*$/.test(v) ? null : 'a positive integer') });
    if (!samples) return;
    const tolerance = await vscode.window.showInputBox({ title: 'Tolerance: how far the pass rate may drop below the all-hints rate', value: '0.0', validateInput: (v) => (Number(v) >= 0 && Number(v) <= 1 ? null : 'a number in [0, 1]') });
    if (tolerance === undefined) return;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Finding minimal hint subsets', cancellable: true },
      async (progress, token) => {
        try {
          const result = await this.worker.request(
            'hints/subsetSearch',
            { kpFile, dataFile: data[0]!.fsPath, model: model[0]!.fsPath, samples: Number(samples), tolerance: Number(tolerance), apply: true },
            { token, onProgress: (p) => progress.report({ message: p.message }) },
          );
          const paradoxes = result.problems.filter((p) => p.interactions.length > 0).length;
          void vscode.window.showInformationMessage(
            `Subset search: ${result.problems.length} problems, ${result.generated} completions sampled; chosen subsets set as 'selected'${paradoxes ? `; ${paradoxes} problem(s) with pruning interactions` : ''}. Results: ${path.basename(result.resultsFile)}`,
          );
          await this.editors.get(kpFile)?.load('Subset search finished: results and selected subsets loaded.');
        } catch (error) {
          if (!token.isCancellationRequested) void vscode.window.showErrorMessage(`Subset search failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      },
    );
  }

  dispose(): void {
    for (const panel of this.editors.values()) panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
