// The hover of a token in a rollout document, as Markdown. Model text is untrusted: every piece is
// escaped (and its invisible characters shown as code points), no link is built from it, and the
// wiring never marks the MarkdownString trusted. Pure.

import { exact, isForking, type TokenValues } from '../common/tokenHeat';
import { visibleSegments, type TokenUnit } from '../common/tokenUnits';

export interface HoverValues extends TokenValues {
  tokenIds: ArrayLike<number>;
  tokens: readonly string[];
  /** An eval sample: nothing was trained, so the mask column reads "— (eval)". */
  evaluated?: boolean;
}

/** Tokens listed in one hover at most (a unit rarely has more than 4). */
const MAX_ROWS = 8;

/** Markdown for the tokens of one unit: piece, id, probability, logprob, entropy, mask, position. */
export function tokenHoverMarkdown(values: HoverValues, unit: TokenUnit, compared?: { label: string; logprobs: ArrayLike<number> }): string {
  const lines: string[] = [];
  const count = unit.end - unit.start;
  lines.push(count > 1 ? `**${count} tokens** form ${escapeMarkdown(shown(unit.text))}` : `**token** ${escapeMarkdown(shown(unit.text))}`);
  lines.push('');
  const head = ['position', 'id', 'piece', 'probability', 'logprob', 'entropy', 'mask', 'forking'];
  if (compared) head.push(`logprob (${escapeMarkdown(compared.label)})`);
  lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (let t = unit.start; t < unit.end && t < unit.start + MAX_ROWS; t++) {
    const lp = values.logprobs[t];
    const cells = [
      String(t),
      String(values.tokenIds[t] ?? '—'),
      escapeMarkdown(shown(values.tokens[t] ?? '')) || '(empty)',
      exact(Math.exp(lp)),
      exact(lp),
      exact(values.entropies[t]),
      values.evaluated ? '— (eval)' : values.lossMask[t] === 1 ? 'gradient' : 'no gradient',
      isForking(values, t) ? 'yes' : 'no',
    ];
    if (compared) cells.push(exact(compared.logprobs[t]));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  if (count > MAX_ROWS) lines.push('', `… ${count - MAX_ROWS} more tokens`);
  return lines.join('\n');
}

/** A piece with whitespace and invisible characters made visible. */
function shown(text: string): string {
  return visibleSegments(text, true)
    .map((s) => s.text.replace('\n', ''))
    .join('');
}

/**
 * Markdown-escapes text so it renders as itself: every ASCII punctuation character gets a backslash
 * (CommonMark allows that for all of them), so no emphasis, link, image, HTML or table cell starts.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~"'&:;=?@^$%,/]/g, '\\$&');
}
