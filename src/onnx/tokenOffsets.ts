// UTF-16 ranges of tokens in the text they came from. The JS tokenizer gives ids without offsets;
// decoding a growing run of tokens and cutting at each complete character gives them. Tokens that
// together make one character (a byte-level emoji) share its range.

export interface Decoder {
  decode(ids: number[]): string;
}

/** [starts, ends] per token; when decoding does not reproduce `text`, ranges follow each piece's first match. */
export function tokenRanges(tokenizer: Decoder, ids: number[], text: string): { starts: number[]; ends: number[] } {
  const starts = new Array<number>(ids.length).fill(text.length);
  const ends = new Array<number>(ids.length).fill(text.length);
  let decoded = '';
  let groupStart = 0; // first token of the run not yet assigned a range
  for (let i = 0; i < ids.length; i++) {
    const piece = tokenizer.decode(ids.slice(groupStart, i + 1));
    if (piece.endsWith('\uFFFD') && i + 1 < ids.length) continue; // a character split across tokens
    const from = decoded.length;
    decoded += piece;
    for (let j = groupStart; j <= i; j++) {
      starts[j] = from;
      ends[j] = decoded.length;
    }
    groupStart = i + 1;
  }
  if (decoded === text) return { starts, ends };
  return searchRanges(tokenizer, ids, text);
}

function searchRanges(tokenizer: Decoder, ids: number[], text: string): { starts: number[]; ends: number[] } {
  const starts: number[] = [];
  const ends: number[] = [];
  let cursor = 0;
  for (const id of ids) {
    const piece = tokenizer.decode([id]).trim();
    const at = piece ? text.indexOf(piece, cursor) : -1;
    if (at < 0) {
      starts.push(cursor);
      ends.push(cursor);
    } else {
      starts.push(at);
      ends.push(at + piece.length);
      cursor = at + piece.length;
    }
  }
  return { starts, ends };
}
