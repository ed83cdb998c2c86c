// The text of a rollout document and where its completion lies: a short header, the prompt and the
// completion exactly as its tokens show it (special tokens as their pieces). Pure: the wiring serves
// `text` through a TextDocumentContentProvider and maps tokens with `ranges`.

import { LineIndex, layoutTokens, unitAtOffset, unitRanges, type TextRange, type TokenLayout } from '../common/tokenRanges';
import type { RolloutDetail } from '../runs/rolloutTypes';
import { formatNumber } from '../common/format';

export interface RolloutDocument {
  text: string;
  /** First line of the completion (it starts at character 0). */
  completionLine: number;
  layout: TokenLayout;
  /** Line index of the completion text alone. */
  lines: LineIndex;
  /** The range of every unit in document coordinates. */
  ranges: TextRange[];
}

export const PROMPT_RULE = '──── prompt ────';
export const COMPLETION_RULE = '──── completion ────';

export interface HeaderContext {
  runName: string;
  /** e.g. "step 120" or "eval e1 · checkpoint 40". */
  source: string;
  /** Samples in the rollout's group, when known. */
  groupSize?: number;
  /** Eval samples: whether the sample passed, e.g. "correct (brittle ≥ 0.33)". Training rollouts have none. */
  verdict?: string;
}

export function buildRolloutDocument(detail: RolloutDetail, context: HeaderContext): RolloutDocument {
  const layout = layoutTokens(detail.tokens, detail.completion);
  const head = [...headerLines(detail, context), PROMPT_RULE, detail.prompt, COMPLETION_RULE, ''].join('\n');
  const completionLine = new LineIndex(head).lineCount - 1;
  const lines = new LineIndex(layout.text);
  const ranges = unitRanges(layout, lines, { line: completionLine, character: 0 });
  return { text: head + layout.text, completionLine, layout, lines, ranges };
}

function headerLines(detail: RolloutDetail, context: HeaderContext): string[] {
  const of = context.groupSize ? ` of ${context.groupSize}` : '';
  const rewards = Object.entries(detail.rewards).map(([name, value]) => `${name} ${formatNumber(value)}`);
  const reward = `reward ${formatNumber(detail.reward)}${rewards.length ? ` (${rewards.join(' · ')})` : ''}`;
  const length = [`${detail.tokens.length} tokens`, detail.truncated ? 'truncated' : 'not truncated'];
  const facts =
    context.verdict !== undefined
      ? [oneLine(context.verdict), reward, ...length]
      : [
          reward,
          `advantage ${formatNumber(detail.advantage)}`,
          ...length,
          detail.entropyThreshold === null ? 'no forking mask' : `forking: entropy ≥ ${formatNumber(detail.entropyThreshold)}`,
        ];
  const kind = context.verdict !== undefined ? 'evaluation sample' : 'rollout';
  const lines = [`RL Studio ${kind} · run ${oneLine(context.runName)} · ${oneLine(context.source)} · prompt ${detail.promptIndex} · sample ${detail.groupIndex}${of}`, facts.join(' · ')];
  // Rollout replay: the group was generated `age` steps before the step that trained on it.
  if (detail.replayed) lines.push(`replayed from step ${detail.step - detail.age} (age ${detail.age})`);
  if (detail.rewardError) lines.push(`reward errors: ${oneLine(detail.rewardError)}`);
  if (detail.hintIds.length) lines.push(`hints: ${detail.hintIds.map(oneLine).join(', ')}`);
  return lines;
}

/** Header fields stay on their line whatever they hold. */
function oneLine(text: string): string {
  return text.replace(/\r\n|\r|\n/g, ' ⏎ ');
}

/** The document shown instead of a rollout that cannot be read: what was asked, and why not. */
export function errorDocument(what: string, message: string): string {
  return `RL Studio cannot show this rollout\n\n${what}\n\n${message}\n`;
}

/** The unit under a document position, or -1 (header, prompt, or past the completion). */
export function unitAt(doc: RolloutDocument, line: number, character: number): number {
  const local = line - doc.completionLine;
  if (local < 0 || local >= doc.lines.lineCount) return -1;
  return unitAtOffset(doc.layout, doc.lines.offsetAt({ line: local, character }));
}
