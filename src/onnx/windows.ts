// Long inputs are scored in overlapping windows of at most `size` tokens: each window after the
// first starts `overlap` tokens before the first token it scores, so every scored token has at
// least `overlap` tokens of context (all of them while the text fits one window).

export interface Window {
  /** Token index where the window starts (its first token is context only). */
  start: number;
  end: number;
  /** First token index whose logprob this window reports. */
  scoreFrom: number;
}

export function windowsFor(length: number, size: number, overlap: number): Window[] {
  if (size < 2) throw new Error(`window size ${size}: must be at least 2 tokens`);
  if (overlap >= size - 1 || overlap < 1) throw new Error(`window overlap ${overlap}: must be between 1 and ${size - 2}`);
  if (length <= size) return [{ start: 0, end: length, scoreFrom: 1 }];
  const windows: Window[] = [];
  let scoreFrom = 1;
  while (scoreFrom < length) {
    const start = Math.max(0, scoreFrom - overlap);
    const end = Math.min(length, start + size);
    windows.push({ start, end, scoreFrom });
    scoreFrom = end;
  }
  return windows;
}
