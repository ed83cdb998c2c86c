// Local scoring with exported checkpoints: "Score Selection with Checkpoint", "Compare Selection
// under Two Checkpoints" (editor), "Export to ONNX" (a checkpoint in the Runs view). Scoring runs
// in the scoring process (src/onnx/scoringClient.ts), never in the extension host; exporting runs
// the trainer CLI of the selected interpreter and needs a trusted workspace.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { byRecentUse, ExportError, listRunExports, readExport } from '../onnx/exportInfo';
import { ExportCancelledError, runExport } from '../onnx/exportRunner';
import type { ScoredText } from '../onnx/protocol';
import { ScoreView, type ScoredSpan } from './onnx/scoreDecorations';
import { ScoringClient, ScoringCrashedError, ScoringInputError } from '../onnx/scoringClient';
import { resolveInterpreter, trainerCli } from '../python/interpreter';
import type { RunsFeature } from './runsFeature';
import type { RunNode } from '../views/runTree';
import type { Log } from '../log';

const LAST_EXPORTS = 'rlstudio.onnx.lastExports';

export class OnnxFeature implements vscode.Disposable {
  readonly client: ScoringClient;
  private readonly view = new ScoreView();
  private readonly output: vscode.OutputChannel;

  constructor(
    private readonly extension: vscode.ExtensionContext,
    private readonly runs: RunsFeature,
    private readonly log: Log,
  ) {
    this.output = vscode.window.createOutputChannel('RL Studio Scoring');
    this.client = new ScoringClient({
      script: path.join(extension.extensionPath, 'dist', 'scoring.js'),
      onStderr: (text) => this.output.append(text),
      onCrash: (crash) => {
        this.log.error(`scoring process ended (${crash.how}) during ${crash.during ?? 'no request'}\n${crash.stderrTail}`);
        void vscode.window.showErrorMessage(`RL Studio: the scoring process ended (${crash.how})${crash.during ? ` while ${crash.during === 'score' ? 'scoring' : crash.during}` : ''}. The next request starts it again.`, 'Show Output')
          .then((choice) => choice && this.output.show(true));
      },
    });
  }

  // --- commands ---

  scoreSelection = async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return void vscode.window.showWarningMessage('RL Studio: open a text editor to score its text.');
    const dir = await this.pickExport('Score the selection with which export?');
    if (!dir) return;
    await this.scoreInto(editor, [dir]);
  };

  compareSelection = async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return void vscode.window.showWarningMessage('RL Studio: open a text editor to score its text.');
    const first = await this.pickExport('First checkpoint (the reference)');
    if (!first) return;
    const second = await this.pickExport('Second checkpoint (Δ = second − first)', first);
    if (!second) return;
    await this.scoreInto(editor, [first, second]);
  };

  clearScores = () => {
    const editor = vscode.window.activeTextEditor;
    if (editor) this.view.clear(editor.document.uri);
  };

  exportCheckpoint = async (node?: RunNode) => {
    if (node?.kind !== 'checkpoint') return void vscode.window.showInformationMessage('RL Studio: right-click a checkpoint in the Runs view to export it.');
    if (!vscode.workspace.isTrusted) return void vscode.window.showWarningMessage('RL Studio: exporting runs Python; trust the workspace first.');
    const precision = await vscode.window.showQuickPick(
      [{ label: 'fp32', description: 'exact (checked to 1e-3 against torch)' }, { label: 'int8', description: 'smaller and faster; lossy, its measured error is shown' }],
      { title: `Export ${path.basename(node.checkpoint.dir)} to ONNX` },
    );
    if (!precision) return;
    const interpreter = await resolveInterpreter(vscode.workspace.workspaceFolders?.[0]);
    const cli = { ...trainerCli(interpreter.python), cwd: node.run.dir };
    const abort = new AbortController();
    try {
      const out = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Exporting ${path.basename(node.checkpoint.dir)} to ONNX`, cancellable: true },
        (progress, token) => {
          token.onCancellationRequested(() => abort.abort());
          return runExport(cli, node.checkpoint.dir, {
            quantize: precision.label === 'int8' ? 'int8' : undefined,
            signal: abort.signal,
            onProgress: (message) => {
              this.log.info(`export-onnx: ${message}`);
              progress.report({ message });
            },
          });
        },
      );
      this.runs.tree.refresh();
      const check = readExport(out).check;
      void vscode.window.showInformationMessage(`RL Studio: exported ${path.basename(out)} (onnxruntime vs torch: max |Δ logprob| ${check.maxAbsLogprobDiff.toExponential(1)}).`);
    } catch (error) {
      this.runs.tree.refresh();
      if (error instanceof ExportCancelledError) return void vscode.window.showInformationMessage('RL Studio: export cancelled; nothing was left behind.');
      this.log.error(`export-onnx failed: ${(error as Error).message}`);
      void vscode.window.showErrorMessage(`RL Studio: export failed: ${(error as Error).message}`);
    }
  };

  // --- internals ---

  private async scoreInto(editor: vscode.TextEditor, dirs: string[]): Promise<void> {
    const document = editor.document;
    const selection = editor.selection.isEmpty ? new vscode.Range(0, 0, document.lineCount, 0) : editor.selection;
    const range = document.validateRange(selection);
    const text = document.getText(range);
    if (!text.trim()) return void vscode.window.showWarningMessage('RL Studio: nothing to score (the selection is empty).');
    const base = document.offsetAt(range.start);
    try {
      const results = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'RL Studio: scoring' },
        async () => {
          const out = [];
          for (const dir of dirs) {
            readExport(dir); // a missing or half-written export is named before the process starts
            out.push(await this.client.request('score', { exportDir: dir, inputs: [{ text }] }));
          }
          return out;
        },
      );
      const [first, second] = results;
      if (second && second.results[0].tokens.map((t) => t.id).join() !== first.results[0].tokens.map((t) => t.id).join()) {
        throw new ExportError(`${dirs[0]} and ${dirs[1]} tokenize the text differently: compare needs two checkpoints with the same tokenizer`);
      }
      const spans = toSpans(document, base, first.results[0], second?.results[0]);
      const names = dirs.map(describeExport);
      const notices = [...new Set(results.flatMap((r) => r.notices))];
      const temperature = first.temperature === 1 ? '' : ` · temperature ${first.temperature} (the run's)`;
      this.view.show(editor, { title: `${names.join(' vs ')}${temperature}`, compare: dirs.length === 2, spans, notices });
      this.log.info(`scored ${first.results[0].tokens.length} tokens with ${names.join(' vs ')} in ${results.map((r) => r.runMs.toFixed(0)).join(' + ')} ms`);
      for (const notice of notices) void vscode.window.showInformationMessage(`RL Studio: ${notice}`);
    } catch (error) {
      const message = error instanceof ExportError || error instanceof ScoringInputError || error instanceof ScoringCrashedError ? error.message : String(error);
      this.log.error(`scoring failed: ${message}`);
      void vscode.window.showErrorMessage(`RL Studio: scoring failed: ${message}`);
    }
  }

  private async pickExport(title: string, exclude?: string): Promise<string | undefined> {
    const recent = this.extension.workspaceState.get<string[]>(LAST_EXPORTS, []);
    const found = this.runs.store.runs().flatMap((run) => listRunExports(run.dir).map((e) => ({ run: run.name(), ...e })));
    type Item = vscode.QuickPickItem & { dir?: string };
    const items: Item[] = byRecentUse(found, recent)
      .filter((e) => e.dir !== exclude)
      .map((e) => ({ label: `${e.run} · ${e.name}`, description: e.label, detail: e.dir, dir: e.dir }));
    items.push({ label: '$(folder-opened) Choose an export folder…' });
    const picked = await vscode.window.showQuickPick(items, { title, placeHolder: found.length ? undefined : 'No exports in the Runs view: choose a folder, or export a checkpoint first' });
    if (!picked) return undefined;
    let dir = picked.dir;
    if (!dir) {
      const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'An ONNX export folder (with export.json)' });
      dir = folder?.[0]?.fsPath;
    }
    if (dir) await this.extension.workspaceState.update(LAST_EXPORTS, [dir, ...recent.filter((d) => d !== dir)].slice(0, 10));
    return dir;
  }

  dispose(): void {
    this.client.dispose();
    this.view.dispose();
    this.output.dispose();
  }
}

function describeExport(dir: string): string {
  const name = path.basename(dir);
  const run = path.basename(path.dirname(path.dirname(dir)));
  return path.basename(path.dirname(dir)) === 'onnx' ? `${run} · ${name}` : name;
}

/** Tokens grouped by their text range (tokens that make one character share it). */
function toSpans(document: vscode.TextDocument, base: number, first: ScoredText, second?: ScoredText): ScoredSpan[] {
  const spans: ScoredSpan[] = [];
  first.tokens.forEach((token, i) => {
    const last = spans.at(-1);
    const other = second?.tokens[i];
    if (last && last.tokens[0].start === token.start && last.tokens[0].end === token.end) {
      last.tokens.push(token);
      if (other) last.other?.push(other);
      return;
    }
    const range = new vscode.Range(document.positionAt(base + token.start), document.positionAt(base + token.end));
    spans.push({ range, tokens: [token], other: other ? [other] : undefined });
  });
  return spans;
}
