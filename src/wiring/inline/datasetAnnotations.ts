// Training results on the lines of a dataset file: an end-of-line annotation per prompt line from
// the latest recorded step that sampled it, a hover listing that step's samples (links open them as
// rollout documents), and a status bar item to pick the run when several trained on the file.
// Only visible lines are annotated, after the editor settles (never on the typing path).

import * as path from 'node:path';
import * as vscode from 'vscode';
import { firstLine } from '../../inline/annotationText';
import { DatasetAnnotator, type LineAnnotation } from '../../inline/datasetAnnotator';
import { StepScoresCache, dataSpec } from '../../inline/datasetIndex';
import { escapeMarkdown } from '../../inline/hoverText';
import type { RolloutAddress } from '../../inline/rolloutAddress';
import type { RolloutSource } from '../../inline/rolloutSource';
import type { Run, RunStore } from '../../runs/model';
import { RolloutReader } from '../../runs/rollouts';
import { formatNumber } from '../../common/format';
import { plainText } from '../../common/untrustedText';
import { COMMAND_IDS } from '../../commandIds';
import { pickRun as pickRunOf } from '../../views/pickRun';
import { describeRecordedSteps, hasRecordedRollouts } from '../../views/runPickItems';
import type { RolloutLinks } from './rolloutLinks';

const SETTLE_MS = 150;
/** Lines above and below the visible ones annotated too, so a short scroll shows them at once. */
const MARGIN = 20;

export class DatasetAnnotations implements vscode.HoverProvider, vscode.Disposable {
  private readonly plain = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 2em', fontStyle: 'italic' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly flagged = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorWarning.foreground'), margin: '0 0 0 2em', fontStyle: 'italic' },
    overviewRulerColor: new vscode.ThemeColor('editorWarning.foreground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly status = vscode.window.createStatusBarItem('rlstudio.datasetRun', vscode.StatusBarAlignment.Left, 50);
  private readonly annotators = new Map<string, DatasetAnnotator>();
  /** The run chosen for each dataset file (by its path). */
  private readonly chosen = new Map<string, string>();
  /** Annotations shown per document, by line. */
  private readonly shown = new Map<string, Map<number, LineAnnotation>>();
  private readonly timers = new Map<vscode.TextEditor, NodeJS.Timeout>();
  private readonly scores: StepScoresCache;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly store: RunStore,
    private readonly source: RolloutSource,
    private readonly links: RolloutLinks,
    private readonly log: { error(m: string): void },
  ) {
    // A reader of its own: annotations touch many shards, whose footers it keeps for the rows asked next.
    this.scores = new StepScoresCache(new RolloutReader(32));
    this.status.name = 'RL Studio: dataset run';
    this.status.command = COMMAND_IDS.pickDatasetRun;
    this.subscriptions.push(
      this.plain,
      this.flagged,
      this.status,
      vscode.languages.registerHoverProvider({ scheme: 'file', pattern: '**/*.{jsonl,json}' }, this),
      vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => this.schedule(e))),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateStatus()),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.schedule(e.textEditor)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        for (const editor of vscode.window.visibleTextEditors) if (editor.document === e.document) this.schedule(editor);
      }),
      store.onDidChangeRuns(() => this.refreshAll()),
    );
    this.refreshAll();
  }

  /** Runs that trained on this file: by its exact path, else by file name (a copied run or dataset). */
  runsFor(document: vscode.TextDocument): Run[] {
    if (document.uri.scheme !== 'file' || !/\.jsonl?$/i.test(document.fileName)) return [];
    const file = path.resolve(document.uri.fsPath);
    const runs = this.store.runs().filter(hasRecordedRollouts);
    const exact = runs.filter((r) => dataSpec(r)?.path === file);
    return exact.length > 0 ? exact : runs.filter((r) => path.basename(dataSpec(r)?.path ?? '') === path.basename(file));
  }

  /** The status bar's command: choose which run annotates the active dataset file. */
  pickRun = async (): Promise<void> => {
    const editor = vscode.window.activeTextEditor;
    const runs = editor ? this.runsFor(editor.document) : [];
    if (!editor || runs.length === 0) {
      void vscode.window.showInformationMessage('RL Studio: the active file is not the dataset of any run with recorded rollouts.');
      return;
    }
    const run = await pickRunOf(runs, { title: 'Annotate this dataset with which run?', describe: describeRecordedSteps, alwaysAsk: true });
    if (!run) return;
    this.chosen.set(editor.document.uri.fsPath, run.id);
    this.updateStatus();
    this.schedule(editor);
  };

  private refreshAll(): void {
    this.annotators.clear();
    for (const editor of vscode.window.visibleTextEditors) this.schedule(editor);
    this.updateStatus();
  }

  private runFor(document: vscode.TextDocument): Run | undefined {
    const runs = this.runsFor(document);
    return runs.find((r) => r.id === this.chosen.get(document.uri.fsPath)) ?? runs[0];
  }

  private updateStatus(): void {
    const editor = vscode.window.activeTextEditor;
    const runs = editor ? this.runsFor(editor.document) : [];
    if (!editor || runs.length === 0) {
      this.status.hide();
      return;
    }
    const run = this.runFor(editor.document)!;
    this.status.text = `$(beaker) ${plainText(run.name())}${runs.length > 1 ? ` (1 of ${runs.length})` : ''}`;
    this.status.tooltip = `RL Studio annotates this dataset with run '${plainText(run.name())}'${runs.length > 1 ? '; click to choose another run' : ''}`;
    this.status.show();
  }

  private schedule(editor: vscode.TextEditor): void {
    if (editor.document.uri.scheme !== 'file') return;
    clearTimeout(this.timers.get(editor));
    this.timers.set(
      editor,
      setTimeout(() => {
        this.timers.delete(editor);
        this.annotate(editor).catch((error) => this.log.error(`dataset annotations: ${error instanceof Error ? error.message : String(error)}`));
      }, SETTLE_MS),
    );
  }

  /** Annotates the visible lines of an editor (no-op for files no run trained on). */
  async annotate(editor: vscode.TextEditor): Promise<LineAnnotation[]> {
    const document = editor.document;
    const run = this.runFor(document);
    if (!run) {
      editor.setDecorations(this.plain, []);
      editor.setDecorations(this.flagged, []);
      this.shown.delete(document.uri.toString());
      return [];
    }
    const annotator = this.annotator(run);
    const version = document.version;
    const allLines = () => document.getText().split(/\r?\n/);
    const linesOf = (margin: number) => {
      const lines: { line: number; text: string }[] = [];
      for (const range of editor.visibleRanges) {
        const from = Math.max(0, range.start.line - margin);
        const to = Math.min(document.lineCount - 1, range.end.line + margin);
        for (let line = from; line <= to; line++) lines.push({ line, text: document.lineAt(line).text });
      }
      return lines;
    };
    // First the visible lines with their latest step (one shard each), then the change since the
    // first step and the lines just outside the view.
    let found: LineAnnotation[] = [];
    for (const [margin, since] of [[0, false], [MARGIN, true]] as const) {
      found = await annotator.annotate(linesOf(margin), allLines, since);
      if (document.version !== version || editor.document !== document) return found; // edited meanwhile: the next pass redoes it
      this.show(editor, found);
    }
    return found;
  }

  private show(editor: vscode.TextEditor, found: LineAnnotation[]): void {
    const document = editor.document;
    this.shown.set(document.uri.toString(), new Map(found.map((a) => [a.line, a])));
    const options = (list: LineAnnotation[]) =>
      list.map((a): vscode.DecorationOptions => {
        const end = document.lineAt(a.line).range.end;
        return { range: new vscode.Range(end, end), renderOptions: { after: { contentText: a.text } } };
      });
    editor.setDecorations(this.plain, options(found.filter((a) => !a.flags.unsolved && !a.flags.noSignal)));
    editor.setDecorations(this.flagged, options(found.filter((a) => a.flags.unsolved || a.flags.noSignal)));
  }

  private annotator(run: Run): DatasetAnnotator {
    let annotator = this.annotators.get(run.id);
    if (!annotator) {
      annotator = new DatasetAnnotator(run, this.source.reader, this.scores);
      this.annotators.set(run.id, annotator);
    }
    return annotator;
  }

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const annotation = this.shown.get(document.uri.toString())?.get(position.line);
    const run = this.runFor(document);
    if (!annotation || !run) return undefined;
    const annotator = this.annotator(run);
    const step = annotation.latest.step;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**RL Studio** · run ${escapeMarkdown(run.name())} · step ${step}\n\n`);
    md.appendMarkdown(
      annotator.correctness
        ? `solved = reward ${escapeMarkdown(annotator.correctness.name)} ≥ 1 (the correctness reward: ${escapeMarkdown(annotator.correctness.because)})\n\n`
        : 'solved: the run has no correctness reward (exact_answer, reasoning_gym, or a name like "correct"), so only rewards are shown\n\n',
    );
    let summaries: Map<number, { preview: string; length: number }> = new Map();
    try {
      const data = await this.source.reader.readStep(run.rolloutsFile(step));
      summaries = new Map(data.rollouts.map((r) => [r.row, { preview: r.preview, length: r.length }]));
    } catch {
      // the list shows rewards without texts
    }
    const commands: string[] = [];
    for (const sample of annotation.samples) {
      const address: RolloutAddress = { kind: 'step', runDir: run.dir, runName: run.name(), step, prompt: sample.promptIndex, sample: sample.groupIndex };
      const link = this.links.link(address);
      commands.push(link.command);
      const summary = summaries.get(sample.row);
      const first = summary ? escapeMarkdown(firstLine(summary.preview, 80)) : '';
      const reward = formatNumber(sample.reward);
      md.appendMarkdown(`- [sample ${sample.groupIndex}](${link.uri}) · reward ${reward}${summary ? ` · ${summary.length} tokens` : ''}${first ? ` · ${first}` : ''}\n`);
    }
    md.appendMarkdown(`\nsampled at step${annotation.steps.length > 1 ? 's' : ''} ${annotation.steps.join(', ')}`);
    // Trusted only for our own command, whose argument is an id this window made (no run data in it).
    md.isTrusted = { enabledCommands: [...new Set(commands)] };
    return new vscode.Hover(md);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const s of this.subscriptions.splice(0).reverse()) s.dispose();
  }
}
