// Scored text in ordinary editors: one decoration type per colour bin (the shared colour scale of
// src/common/colorScale.ts that the inspector and rollout documents use: probability for one
// checkpoint, the diverging advantage colours for Δlogprob between two) and a hover
// per token with the exact numbers. Model text in hovers goes through appendText/code blocks only,
// never trusted markdown. Scores are dropped when their document is edited (ranges would drift).

import * as vscode from 'vscode';
import { SCALES, binOf, type ColorScale } from '../../common/colorScale';
import type { ScoredToken } from '../../onnx/protocol';

export interface ScoredSpan {
  range: vscode.Range;
  tokens: ScoredToken[];
  /** Tokens of the second checkpoint, same ids (compare only). */
  other?: ScoredToken[];
}

export interface DocumentScores {
  /** "checkpoint-40 (fp32)" or "checkpoint-40 vs base". */
  title: string;
  compare: boolean;
  spans: ScoredSpan[];
  notices: string[];
}

/** Δlogprob bins reuse the inspector's diverging (advantage) colours: red = less likely under the second. */
const DELTA_SCALE: ColorScale = { ...SCALES.advantage, labels: SCALES.advantage.labels.map((l) => `Δ ${l}`) };

export class ScoreView implements vscode.Disposable {
  private readonly scores = new Map<string, DocumentScores>();
  private readonly types = new Map<string, vscode.TextEditorDecorationType[]>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.disposables.push(
      vscode.languages.registerHoverProvider({ scheme: '*' }, { provideHover: (doc, pos) => this.hover(doc, pos) }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length && this.scores.has(e.document.uri.toString())) this.clear(e.document.uri);
      }),
      vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((ed) => this.paint(ed))),
    );
  }

  show(editor: vscode.TextEditor, scores: DocumentScores): void {
    this.scores.set(editor.document.uri.toString(), scores);
    this.paint(editor);
  }

  clear(uri: vscode.Uri): void {
    this.scores.delete(uri.toString());
    for (const editor of vscode.window.visibleTextEditors.filter((e) => e.document.uri.toString() === uri.toString())) {
      for (const type of this.allTypes()) editor.setDecorations(type, []);
    }
  }

  has(uri: vscode.Uri): boolean {
    return this.scores.has(uri.toString());
  }

  private paint(editor: vscode.TextEditor): void {
    const scores = this.scores.get(editor.document.uri.toString());
    if (!scores) return;
    const scale = scores.compare ? DELTA_SCALE : SCALES.probability;
    const types = this.typesFor(scale);
    const byBin: vscode.Range[][] = types.map(() => []);
    for (const span of scores.spans) {
      const bin = binOf(scale, spanValue(span, scores.compare));
      if (bin >= 0 && !span.range.isEmpty) byBin[bin].push(span.range);
    }
    for (const type of this.allTypes()) if (!types.includes(type)) editor.setDecorations(type, []);
    types.forEach((type, i) => editor.setDecorations(type, byBin[i]));
  }

  private typesFor(scale: ColorScale): vscode.TextEditorDecorationType[] {
    const key = scale === SCALES.probability ? 'probability' : 'delta';
    let types = this.types.get(key);
    if (!types) {
      types = scale.colors.map((color) => vscode.window.createTextEditorDecorationType({ backgroundColor: color, borderRadius: '2px' }));
      this.types.set(key, types);
    }
    return types;
  }

  private allTypes(): vscode.TextEditorDecorationType[] {
    return [...this.types.values()].flat();
  }

  private hover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const scores = this.scores.get(document.uri.toString());
    const span = scores?.spans.find((s) => s.range.contains(position) && !s.range.isEmpty);
    if (!scores || !span) return undefined;
    const md = new vscode.MarkdownString();
    md.isTrusted = false;
    md.supportHtml = false;
    md.appendMarkdown(`**RL Studio** · `);
    md.appendText(scores.title);
    span.tokens.forEach((token, i) => {
      md.appendCodeblock(JSON.stringify(token.piece), 'text');
      md.appendText(tokenLine(token));
      const other = span.other?.[i];
      if (other) md.appendText(`\nsecond: ${tokenLine(other)}\nΔ logprob ${fmtDelta(token, other)}`);
      if (token.top.length) {
        md.appendText('\n\nmost likely instead:\n');
        md.appendCodeblock(token.top.map((t) => `${JSON.stringify(t.piece)}  p=${Math.exp(t.logprob).toFixed(3)}`).join('\n'), 'text');
      }
    });
    for (const notice of scores.notices) md.appendText(`\n${notice}`);
    return new vscode.Hover(md, span.range);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    for (const type of this.allTypes()) type.dispose();
  }
}

/** Tokens that share one range (a character split across tokens) are coloured by their least likely one. */
function spanValue(span: ScoredSpan, compare: boolean): number {
  const values = span.tokens.map((t, i) => {
    if (t.logprob === null) return Number.NaN;
    if (!compare) return Math.exp(t.logprob);
    const o = span.other?.[i]?.logprob;
    return o === null || o === undefined ? Number.NaN : o - t.logprob;
  });
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return Number.NaN;
  return compare ? finite.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a)) : Math.min(...finite);
}

function tokenLine(token: ScoredToken): string {
  if (token.logprob === null) return 'first token: no context to score it';
  return `logprob ${token.logprob.toFixed(4)} · p ${Math.exp(token.logprob).toFixed(4)} · entropy ${token.entropy?.toFixed(3)} nats`;
}

function fmtDelta(first: ScoredToken, second: ScoredToken): string {
  if (first.logprob === null || second.logprob === null) return '—';
  const d = second.logprob - first.logprob;
  return `${d >= 0 ? '+' : ''}${d.toFixed(4)}`;
}
