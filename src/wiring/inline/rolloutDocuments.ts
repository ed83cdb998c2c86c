// Rollouts as read-only editor documents (`rlstudio-rollout:` URIs): the content provider, the token
// heat decorations, the token hover and the reward-error hover. Navigation lives in
// rolloutNavigation.ts; the logic (text, ranges, heat, hover text) in src/inline/.

import * as vscode from 'vscode';
import { SCALES, type Measure } from '../../common/colorScale';
import { FORKING_OUTLINE_COLOR, NO_GRADIENT_OPACITY } from '../../common/tokenHeat';
import type { TextRange } from '../../common/tokenRanges';
import { forkingLines, heatRanges } from '../../inline/heat';
import { escapeMarkdown, tokenHoverMarkdown } from '../../inline/hoverText';
import { ROLLOUT_SCHEME, describeAddress, formatAddress, parseAddress, type RolloutAddress } from '../../inline/rolloutAddress';
import { buildRolloutDocument, errorDocument, unitAt, type RolloutDocument } from '../../inline/rolloutDocument';
import { type RolloutSource, type LoadedRollout } from '../../inline/rolloutSource';
import type { Run } from '../../runs/model';

/** What a rollout document holds once read. */
export interface OpenRollout {
  address: RolloutAddress;
  loaded: LoadedRollout;
  doc: RolloutDocument;
}

const MEASURES: readonly Measure[] = ['entropy', 'probability', 'advantage'];
const MEASURE_KEY = 'rlstudio.rolloutDocuments.measure';
/** Lines decorated above and below the viewport. */
const DECORATED_MARGIN = 150;

export function rolloutUri(address: RolloutAddress): vscode.Uri {
  const { path, query } = formatAddress(address);
  return vscode.Uri.from({ scheme: ROLLOUT_SCHEME, path, query });
}

export function isRolloutDocument(document: vscode.TextDocument): boolean {
  return document.uri.scheme === ROLLOUT_SCHEME;
}

export class RolloutDocuments implements vscode.TextDocumentContentProvider, vscode.HoverProvider, vscode.Disposable {
  private readonly open = new Map<string, OpenRollout>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly bins: Record<Measure, vscode.TextEditorDecorationType[]>;
  private readonly forking: vscode.TextEditorDecorationType;
  private readonly noGradient: vscode.TextEditorDecorationType;
  private readonly forkingRuler: vscode.TextEditorDecorationType;
  /** Lines each rollout editor has decorated, so scrolling within them does nothing. */
  private readonly decorated = new WeakMap<vscode.TextEditor, { from: number; to: number; measure: Measure; doc: RolloutDocument }>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private currentMeasure: Measure;

  constructor(
    readonly source: RolloutSource,
    private readonly state: vscode.Memento,
    private readonly log: { debug(m: string): void },
  ) {
    this.currentMeasure = MEASURES.find((m) => m === state.get(MEASURE_KEY)) ?? 'entropy';
    // The inspector's colours: translucent, so the theme's text stays readable on light, dark and
    // high-contrast backgrounds alike (the same colour for both kinds of theme).
    this.bins = Object.fromEntries(
      MEASURES.map((m) => [m, SCALES[m].colors.map((color) => vscode.window.createTextEditorDecorationType({ light: { backgroundColor: color }, dark: { backgroundColor: color } }))]),
    ) as Record<Measure, vscode.TextEditorDecorationType[]>;
    const warning = new vscode.ThemeColor(FORKING_OUTLINE_COLOR);
    this.forking = vscode.window.createTextEditorDecorationType({ outline: '1px solid', outlineColor: warning });
    // The whole document's forking tokens in the overview ruler, one mark per line.
    this.forkingRuler = vscode.window.createTextEditorDecorationType({ overviewRulerColor: warning, overviewRulerLane: vscode.OverviewRulerLane.Right });
    this.noGradient = vscode.window.createTextEditorDecorationType({ opacity: String(NO_GRADIENT_OPACITY) });
    this.subscriptions.push(
      this.changed,
      this.forking,
      this.forkingRuler,
      this.noGradient,
      ...Object.values(this.bins).flat(),
      vscode.workspace.registerTextDocumentContentProvider(ROLLOUT_SCHEME, this),
      vscode.languages.registerHoverProvider({ scheme: ROLLOUT_SCHEME }, this),
      vscode.window.onDidChangeVisibleTextEditors((editors) => this.decorateAll(editors)),
      vscode.window.onDidChangeTextEditorVisibleRanges(({ textEditor }) => isRolloutDocument(textEditor.document) && this.decorate(textEditor)),
      vscode.workspace.onDidCloseTextDocument((d) => isRolloutDocument(d) && this.open.delete(d.uri.toString())),
    );
  }

  get measure(): Measure {
    return this.currentMeasure;
  }

  /** The rollout shown by a document, once read. */
  get(document: vscode.TextDocument): OpenRollout | undefined {
    return this.open.get(document.uri.toString());
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    let address: RolloutAddress | undefined;
    try {
      address = parseAddress(uri.query);
      const loaded = await this.source.load(address);
      const doc = buildRolloutDocument(loaded.detail, loaded.header);
      this.open.set(uri.toString(), { address, loaded, doc });
      setTimeout(() => this.decorateAll(vscode.window.visibleTextEditors), 0);
      return doc.text;
    } catch (error) {
      this.open.delete(uri.toString());
      const what = address ? describeAddress(address) : uri.toString();
      return errorDocument(what, error instanceof Error ? error.message : String(error));
    }
  }

  /** Shows an address in an editor (a preview tab, replaced by the next one navigated to). */
  async show(address: RolloutAddress, options: vscode.TextDocumentShowOptions = {}): Promise<vscode.TextEditor> {
    const document = await vscode.workspace.openTextDocument(rolloutUri(address));
    return vscode.window.showTextDocument(document, { preview: true, ...options });
  }

  setMeasure(measure: Measure): void {
    this.currentMeasure = measure;
    void this.state.update(MEASURE_KEY, measure);
    this.decorateAll(vscode.window.visibleTextEditors);
  }

  cycleMeasure(): Measure {
    this.setMeasure(MEASURES[(MEASURES.indexOf(this.currentMeasure) + 1) % MEASURES.length]);
    return this.currentMeasure;
  }

  // --- decorations ---------------------------------------------------------------------------

  private decorateAll(editors: readonly vscode.TextEditor[]): void {
    for (const editor of editors) {
      if (isRolloutDocument(editor.document)) this.decorate(editor);
    }
  }

  /**
   * Decorates the lines around the editor's viewport (a screenful or two of a long rollout, not all
   * of it); scrolling past them decorates the new lines. Forking tokens get overview-ruler marks over
   * the whole document.
   */
  decorate(editor: vscode.TextEditor): void {
    const open = this.get(editor.document);
    const visible = editor.visibleRanges;
    const first = visible[0]?.start.line ?? 0;
    const last = visible.at(-1)?.end.line ?? 0;
    const done = this.decorated.get(editor);
    if (open && done && done.doc === open.doc && done.measure === this.currentMeasure && first >= done.from && last <= done.to) return;
    const started = performance.now();
    const from = Math.max(0, first - DECORATED_MARGIN);
    const to = last + DECORATED_MARGIN;
    const heat = open ? heatRanges(open.doc, open.loaded.detail, this.currentMeasure, from, to) : undefined;
    for (const measure of MEASURES) {
      this.bins[measure].forEach((type, bin) => editor.setDecorations(type, heat && measure === this.currentMeasure ? toRanges(heat.bins[bin]) : []));
    }
    editor.setDecorations(this.forking, heat ? toRanges(heat.forking) : []);
    editor.setDecorations(this.noGradient, heat ? toRanges(heat.noGradient) : []);
    if (!open) {
      editor.setDecorations(this.forkingRuler, []);
      this.decorated.delete(editor);
      return;
    }
    if (done?.doc !== open.doc) editor.setDecorations(this.forkingRuler, forkingLines(open.doc, open.loaded.detail).map((line) => new vscode.Range(line, 0, line, 0)));
    this.decorated.set(editor, { from, to, measure: this.currentMeasure, doc: open.doc });
    const ms = performance.now() - started;
    this.log.debug(`rollout document: lines ${from}-${to} of ${open.loaded.detail.tokens.length} tokens decorated by ${this.currentMeasure} in ${ms.toFixed(1)} ms`);
  }

  // --- hovers --------------------------------------------------------------------------------

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const open = this.get(document);
    if (!open) return undefined;
    const detail = open.loaded.detail;
    const unit = unitAt(open.doc, position.line, position.character);
    if (unit >= 0) {
      const markdown = new vscode.MarkdownString(tokenHoverMarkdown({ ...detail, evaluated: open.address.kind === 'eval' }, open.doc.layout.units[unit]));
      markdown.isTrusted = false;
      markdown.supportHtml = false;
      const r = open.doc.ranges[unit];
      return new vscode.Hover(markdown, new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character));
    }
    if (detail.rewardError && open.address.kind === 'step' && document.lineAt(position.line).text.startsWith('reward errors:')) {
      return this.rewardErrorHover(open.loaded.run, detail.step, detail.promptIndex, detail.groupIndex, open.loaded.group.length);
    }
    return undefined;
  }

  /** The tracebacks the trainer logged for this sample (events.jsonl reward_error). */
  private rewardErrorHover(run: Run, step: number, promptIndex: number, groupIndex: number, groupSize: number): vscode.Hover | undefined {
    // events.jsonl indices are prompt_index * num_generations + group_index (docs/run-format.md).
    const generations = (run.manifest?.config?.algorithm as { num_generations?: unknown } | undefined)?.num_generations;
    const index = promptIndex * (typeof generations === 'number' ? generations : groupSize) + groupIndex;
    const markdown = new vscode.MarkdownString();
    markdown.isTrusted = false;
    for (const event of run.recentEvents()) {
      if (event.type === 'reward_error' && event.step === step && event.indices.includes(index)) {
        markdown.appendMarkdown(`**${escapeMarkdown(event.function)}**: ${escapeMarkdown(`${event.error.type}: ${event.error.message}`)}\n\n`);
        markdown.appendCodeblock(event.error.traceback, 'text');
      }
    }
    return markdown.value ? new vscode.Hover(markdown) : new vscode.Hover('No traceback of this error is among the run\'s recent events.');
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0).reverse()) s.dispose();
  }
}

function toRanges(ranges: readonly TextRange[]): vscode.Range[] {
  return ranges.map((r) => new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character));
}
