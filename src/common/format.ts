// Numbers as RL Studio writes them, in the Runs view, the status bar and every webview, so that a
// reward reads the same everywhere. Pure: no `vscode`, no DOM (the webviews bundle this file too).

/**
 * `digits` decimals, trailing zeros dropped; exponent notation from 1e5 and below 1e-3; a value that
 * `digits` decimals would round away keeps two significant digits (0.0012, not 0). Null or
 * undefined (a missing value) is a dash; NaN and ±Infinity are written as they are.
 */
export function formatNumber(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined) {
    return '—';
  }
  if (!Number.isFinite(value)) {
    return String(value);
  }
  if (value === 0) {
    return '0';
  }
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) {
    return value.toExponential(2);
  }
  const decimals = Math.max(digits, 1 - Math.floor(Math.log10(abs)));
  return Number(value.toFixed(decimals)).toString();
}
