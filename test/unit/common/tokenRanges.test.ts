import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineIndex, layoutTokens, tokenRange, unitAtOffset, unitRanges, type TextRange } from '../../../src/common/tokenRanges';

/** Ranges as [startLine, startChar, endLine, endChar]. */
function flat(r: TextRange): number[] {
  return [r.start.line, r.start.character, r.end.line, r.end.character];
}

/** The text a range covers in `text`, read back through a LineIndex (as an editor would). */
function read(text: string, r: TextRange): string {
  const lines = new LineIndex(text);
  return text.slice(lines.offsetAt(r.start), lines.offsetAt(r.end));
}

describe('token → text ranges', () => {
  it('maps plain pieces onto consecutive ranges over lines', () => {
    const tokens = ['Hello', ',', ' world', '\n', 'bye'];
    const layout = layoutTokens(tokens, 'Hello, world\nbye');
    const ranges = unitRanges(layout, new LineIndex(layout.text));
    assert.deepEqual(ranges.map(flat), [
      [0, 0, 0, 5],
      [0, 5, 0, 6],
      [0, 6, 0, 12],
      [0, 12, 1, 0],
      [1, 0, 1, 3],
    ]);
    tokens.forEach((piece, t) => assert.equal(read(layout.text, tokenRange(layout, ranges, t)), piece));
  });

  it('counts UTF-16 code units for multi-byte and astral characters, a tab as one column', () => {
    const tokens = ['é', '\t', '😀', 'x', '中文'];
    const layout = layoutTokens(tokens, 'é\t😀x中文');
    const ranges = unitRanges(layout, new LineIndex(layout.text));
    assert.deepEqual(ranges.map(flat), [
      [0, 0, 0, 1],
      [0, 1, 0, 2],
      [0, 2, 0, 4],
      [0, 4, 0, 5],
      [0, 5, 0, 7],
    ]);
  });

  it('gives tokens of one split character the range of that character, and an empty piece its unit', () => {
    // '😀' in four byte tokens decoded piece by piece (three empty, one whole), then a U+FFFD pair for 'é'.
    const tokens = ['a', '', '', '', '😀', 'caf', '\uFFFD', '\uFFFD', '!'];
    const layout = layoutTokens(tokens, 'a😀café!');
    const ranges = unitRanges(layout, new LineIndex(layout.text));
    for (const t of [1, 2, 3, 4]) assert.deepEqual(flat(tokenRange(layout, ranges, t)), [0, 1, 0, 3]);
    for (const t of [6, 7]) assert.equal(read(layout.text, tokenRange(layout, ranges, t)), 'é');
    assert.equal(read(layout.text, tokenRange(layout, ranges, 8)), '!');
    assert.equal(layout.text, 'a😀café!');
  });

  it('gives trailing empty pieces an empty range at the end', () => {
    const layout = layoutTokens(['ok', ''], 'ok');
    const ranges = unitRanges(layout, new LineIndex(layout.text));
    assert.deepEqual(flat(tokenRange(layout, ranges, 1)), [0, 2, 0, 2]);
    assert.equal(unitAtOffset(layout, 2), -1);
    assert.equal(unitAtOffset(layout, 1), 0);
  });

  it('breaks lines at CRLF, CR and LF, so positions hold whatever line endings the editor keeps', () => {
    const tokens = ['a', '\r\n', 'b', '\r', 'c', '\n', 'd\r', '\n', 'e'];
    const text = 'a\r\nb\rc\nd\r\ne';
    const layout = layoutTokens(tokens, text);
    const lines = new LineIndex(layout.text);
    assert.equal(lines.lineCount, 5);
    const ranges = unitRanges(layout, lines);
    assert.deepEqual(flat(ranges[2]), [1, 0, 1, 1]); // b
    assert.deepEqual(flat(ranges[4]), [2, 0, 2, 1]); // c
    assert.deepEqual(flat(ranges[6]), [3, 0, 3, 1]); // 'd\r': its \r starts the break
    assert.deepEqual(flat(ranges[7]), [3, 1, 4, 0]); // the '\n' that ends the CRLF
    assert.deepEqual(flat(ranges[8]), [4, 0, 4, 1]); // e
    // The same positions in the text with every break normalised to LF.
    const lf = text.replace(/\r\n|\r/g, '\n');
    const lfLines = new LineIndex(lf);
    assert.equal(lf.slice(lfLines.offsetAt(ranges[8].start), lfLines.offsetAt(ranges[8].end)), 'e');
    assert.equal(lf.slice(lfLines.offsetAt(ranges[4].start), lfLines.offsetAt(ranges[4].end)), 'c');
  });

  it('places the text at an origin (the line after a document header)', () => {
    const layout = layoutTokens(['x', 'y\n', 'z'], 'xy\nz');
    const ranges = unitRanges(layout, new LineIndex(layout.text), { line: 7, character: 3 });
    assert.deepEqual(ranges.map(flat), [
      [7, 3, 7, 4],
      [7, 4, 8, 0],
      [8, 0, 8, 1],
    ]);
  });

  it('shows special tokens the completion leaves out as their pieces', () => {
    const layout = layoutTokens(['Yes', '<|im_end|>'], 'Yes');
    assert.equal(layout.text, 'Yes<|im_end|>');
    assert.equal(unitAtOffset(layout, 5), 1);
  });

  it('maps 32k tokens, every token back to itself (speed: bench/inline_decorations.ts)', () => {
    const tokens: string[] = [];
    for (let i = 0; i < 32_768; i++) tokens.push(i % 50 === 49 ? '\r\n' : i % 7 === 0 ? ' é' : ` w${i}`);
    const completion = tokens.join('');
    const layout = layoutTokens(tokens, completion);
    const lines = new LineIndex(layout.text);
    const ranges = unitRanges(layout, lines, { line: 5, character: 0 });
    assert.equal(ranges.length, tokens.length);
    for (let t = 0; t < tokens.length; t += 97) {
      const r = tokenRange(layout, ranges, t);
      const local = { line: r.start.line - 5, character: r.start.character };
      const offset = lines.offsetAt(local);
      assert.equal(unitAtOffset(layout, offset), layout.tokenUnit[t]);
      assert.equal(layout.text.slice(offset, lines.offsetAt({ line: r.end.line - 5, character: r.end.character })), tokens[t]);
    }
  });
});
