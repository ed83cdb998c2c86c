// Turning a rollout's token pieces into display units. A unit is one token, or several tokens whose
// pieces only make sense together: a character split across byte-level tokens decodes to U+FFFD (or
// to '') piece by piece, so those tokens are merged and shown with the text the completion really has.

export interface TokenUnit {
  /** First token index. */
  start: number;
  /** One past the last token index. */
  end: number;
  text: string;
}

const REPLACEMENT = '\uFFFD';

export function tokenUnits(tokens: readonly string[], completion: string): TokenUnit[] {
  const pieces = looksByteLevel(tokens, completion) ? decodeByteLevel(tokens) : tokens;
  const units: TokenUnit[] = [];
  let cursor = 0; // position in `completion`
  let i = 0;
  while (i < pieces.length) {
    const piece = pieces[i];
    if (isClean(piece) && completion.startsWith(piece, cursor)) {
      units.push({ start: i, end: i + 1, text: piece });
      cursor += piece.length;
      i++;
      continue;
    }
    if (isClean(piece) && !piece.includes(REPLACEMENT)) {
      // The completion disagrees with the pieces (not a split character): trust the pieces.
      units.push({ start: i, end: i + 1, text: piece });
      i++;
      continue;
    }
    // A run of partial pieces: it ends where the next clean piece is found in the completion.
    let j = i + 1;
    let next = -1;
    while (j < pieces.length) {
      if (isClean(pieces[j])) {
        next = completion.indexOf(pieces[j], cursor);
        if (next >= 0) {
          break;
        }
      }
      j++;
    }
    const text = next >= 0 ? completion.slice(cursor, next) : completion.slice(cursor);
    if (text === '' && j < pieces.length) {
      // Nothing of its own to show (e.g. an empty piece): the tokens join the next unit.
      units.push({ start: i, end: j + 1, text: pieces[j] });
      cursor += pieces[j].length;
      i = j + 1;
      continue;
    }
    units.push({ start: i, end: j, text: text === '' ? pieces.slice(i, j).join('') : text });
    cursor += text.length;
    i = j;
  }
  return units;
}

function isClean(piece: string): boolean {
  return piece !== '' && !piece.includes(REPLACEMENT);
}

// --- GPT-2 style byte-level pieces ('Ġ' for space, 'Ċ' for newline) ------------------------

let unicodeToByte: Map<string, number> | undefined;

function byteLevelTable(): Map<string, number> {
  if (unicodeToByte) {
    return unicodeToByte;
  }
  const bytes: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bytes.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bytes.push(b);
  for (let b = 0xae; b <= 0xff; b++) bytes.push(b);
  const chars = bytes.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      chars.push(256 + n++);
    }
  }
  unicodeToByte = new Map(bytes.map((b, k) => [String.fromCodePoint(chars[k]), b]));
  return unicodeToByte;
}

/** The pieces are raw byte-level vocabulary strings when they do not join to the completion but decode to it. */
function looksByteLevel(tokens: readonly string[], completion: string): boolean {
  const joined = tokens.join('');
  if (joined === completion || !/[ĠĊĉ]/.test(joined)) {
    return false;
  }
  return decodeByteLevel(tokens).join('') === completion;
}

/** Decodes byte-level pieces; a piece ending inside a UTF-8 sequence yields '' and the rest comes with the next. */
export function decodeByteLevel(tokens: readonly string[]): string[] {
  const table = byteLevelTable();
  const decoder = new TextDecoder('utf-8');
  return tokens.map((token) => {
    const bytes: number[] = [];
    for (const ch of token) {
      const b = table.get(ch);
      if (b === undefined) {
        bytes.push(...new TextEncoder().encode(ch));
      } else {
        bytes.push(b);
      }
    }
    return decoder.decode(new Uint8Array(bytes), { stream: true });
  });
}

// --- making whitespace and invisible characters visible --------------------------------------

export interface TextSegment {
  text: string;
  /** 'ws' for a whitespace marker, 'ctl' for a control or bidi character shown as its code point. */
  kind: 'text' | 'ws' | 'ctl';
}

// C0/C1 controls except \t \n, bidi embeddings/overrides/isolates and marks, zero-width characters, BOM.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;

/**
 * Splits text for display: spaces as '·', tabs as '→', newlines as '↵' followed by a real line
 * break, and invisible or direction-changing characters as '⟨U+XXXX⟩', so a token never reorders
 * or hides its neighbours.
 */
// eslint-disable-next-line no-control-regex -- as INVISIBLE
const SPECIAL = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;
// eslint-disable-next-line no-control-regex -- as INVISIBLE, plus space
const SPECIAL_OR_SPACE = /[\u0000-\u0020\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;

export function visibleSegments(text: string, showWhitespace: boolean): TextSegment[] {
  // Fast path: most pieces have nothing to mark.
  if (!(showWhitespace ? SPECIAL_OR_SPACE : SPECIAL).test(text)) {
    return text ? [{ text, kind: 'text' }] : [];
  }
  const segments: TextSegment[] = [];
  let plain = '';
  const flush = () => {
    if (plain) {
      segments.push({ text: plain, kind: 'text' });
      plain = '';
    }
  };
  for (const ch of text) {
    if (INVISIBLE.test(ch)) {
      flush();
      segments.push({ text: `⟨U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`, kind: 'ctl' });
    } else if (showWhitespace && (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r')) {
      flush();
      const marker = ch === ' ' ? '·' : ch === '\t' ? '→' : ch === '\n' ? '↵\n' : '␍';
      segments.push({ text: marker, kind: 'ws' });
    } else {
      plain += ch;
    }
  }
  flush();
  return segments;
}
