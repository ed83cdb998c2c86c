// Token → text-range mapping of a completion, for any place that lays the completion out as text:
// editor documents (decorations, hovers), the inspector and the comparison panel.
//
// The text is the completion as its token units show it (tokenUnits.ts): the completion where the
// pieces agree with it, special tokens as their pieces. Offsets are UTF-16 code units (JavaScript
// string indices, which are VS Code's columns too: an astral character counts 2, a tab 1). Tokens
// that are only part of a character (a byte of a multi-byte character, an empty piece) share the
// range of the unit they form with their neighbours; a unit with no text of its own has an empty
// range. Lines break at \r\n, \r and \n (as VS Code's text model does), so positions stay right when
// the editor normalises the line endings. Pure code: no `vscode`, no DOM. Linear in the token count.

import { tokenUnits, type TokenUnit } from './tokenUnits';

export interface TokenLayout {
  /** Display units in order; unit u covers text [unitOffsets[u], unitOffsets[u + 1]). */
  units: TokenUnit[];
  text: string;
  unitOffsets: Uint32Array;
  /** The unit of each token. */
  tokenUnit: Uint32Array;
}

export interface TextPosition {
  line: number;
  character: number;
}

export interface TextRange {
  start: TextPosition;
  end: TextPosition;
}

export function layoutTokens(tokens: readonly string[], completion: string): TokenLayout {
  const units = tokenUnits(tokens, completion);
  const unitOffsets = new Uint32Array(units.length + 1);
  const tokenUnit = new Uint32Array(tokens.length);
  const parts: string[] = new Array(units.length);
  let offset = 0;
  for (let u = 0; u < units.length; u++) {
    const unit = units[u];
    unitOffsets[u] = offset;
    parts[u] = unit.text;
    offset += unit.text.length;
    tokenUnit.fill(u, unit.start, unit.end);
  }
  unitOffsets[units.length] = offset;
  return { units, text: parts.join(''), unitOffsets, tokenUnit };
}

/** The unit whose text holds `offset` (an empty unit holds nothing), or -1. */
export function unitAtOffset(layout: TokenLayout, offset: number): number {
  const starts = layout.unitOffsets;
  let lo = 0;
  let hi = layout.units.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  // Several units may start at the same offset (empty ones first); the last of them holds the text.
  return found >= 0 && offset < starts[found + 1] ? found : -1;
}

/** Line starts and ends of a text, with VS Code's line breaks (\r\n, \r, \n). */
export class LineIndex {
  /** Offset where each line starts. */
  readonly starts: number[] = [0];
  /** Offset where each line's content ends (its line break, or the end of the text). */
  readonly ends: number[] = [];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) {
        this.ends.push(i);
        if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
    this.ends.push(text.length);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** The line holding `offset` (an offset inside a line break belongs to the line it ends). */
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  positionAt(offset: number): TextPosition {
    const line = this.lineOf(offset);
    return { line, character: Math.min(offset, this.ends[line]) - this.starts[line] };
  }

  /** The offset of a position; a character past the line's end is clamped to it. */
  offsetAt(position: TextPosition): number {
    if (position.line < 0) return 0;
    if (position.line >= this.starts.length) return this.text.length;
    return this.starts[position.line] + Math.max(0, Math.min(position.character, this.ends[position.line] - this.starts[position.line]));
  }
}

/**
 * The range of every unit, placed with the text's first character at `origin` (e.g. the line after
 * a document's header). One pass over the units: offsets only grow, so the line is found by walking.
 */
export function unitRanges(layout: TokenLayout, lines: LineIndex, origin: TextPosition = { line: 0, character: 0 }): TextRange[] {
  const ranges: TextRange[] = new Array(layout.units.length);
  let line = 0;
  const at = (offset: number): TextPosition => {
    while (line + 1 < lines.starts.length && lines.starts[line + 1] <= offset) line++;
    const character = Math.min(offset, lines.ends[line]) - lines.starts[line];
    return line === 0 ? { line: origin.line, character: origin.character + character } : { line: origin.line + line, character };
  };
  for (let u = 0; u < layout.units.length; u++) {
    const start = at(layout.unitOffsets[u]);
    ranges[u] = { start, end: start };
  }
  // Ends in a second pass (the walk above only moves forward, and an end is the next unit's start).
  for (let u = 0; u < layout.units.length; u++) {
    ranges[u].end = u + 1 < layout.units.length ? ranges[u + 1].start : at(layout.unitOffsets[u + 1]);
  }
  return ranges;
}

/** The range of token t: its unit's range. */
export function tokenRange(layout: TokenLayout, ranges: readonly TextRange[], t: number): TextRange {
  return ranges[layout.tokenUnit[t]];
}
