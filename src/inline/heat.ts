// Token heat of a rollout document as ranges per decoration: one list per colour bin of the measure's
// scale (src/common/colorScale.ts, the inspector's bins and legend), the forking tokens to outline
// and the tokens without gradient to dim. Pure; the wiring turns each list into setDecorations.

import { SCALES, type Measure } from '../common/colorScale';
import { isForking, unitStyle, type TokenValues } from '../common/tokenHeat';
import type { TextRange } from '../common/tokenRanges';
import type { RolloutDocument } from './rolloutDocument';

export interface HeatRanges {
  /** bins[i]: the units coloured with SCALES[measure].colors[i]. */
  bins: TextRange[][];
  forking: TextRange[];
  noGradient: TextRange[];
}

/**
 * The heat of the units that touch lines [fromLine, toLine] (default: all). An editor decorates the
 * lines around its viewport, so a 32k-token rollout costs the decorations of a screenful or two.
 */
export function heatRanges(doc: RolloutDocument, values: TokenValues, measure: Measure, fromLine = 0, toLine = Infinity): HeatRanges {
  const bins: TextRange[][] = SCALES[measure].colors.map(() => []);
  const forking: TextRange[] = [];
  const noGradient: TextRange[] = [];
  const units = doc.layout.units;
  for (let u = firstUnitEndingAtOrAfter(doc, fromLine); u < units.length; u++) {
    const range = doc.ranges[u];
    if (range.start.line > toLine) break;
    if (range.start.line === range.end.line && range.start.character === range.end.character) continue;
    const style = unitStyle(values, units[u], measure);
    if (style.bin >= 0) bins[style.bin].push(range);
    if (style.forking) forking.push(range);
    if (!style.gradient) noGradient.push(range);
  }
  return { bins, forking, noGradient };
}

/** The lines holding a forking token, once each (for the overview ruler's marks of the whole document). */
export function forkingLines(doc: RolloutDocument, values: TokenValues): number[] {
  const lines: number[] = [];
  doc.layout.units.forEach((unit, u) => {
    const line = doc.ranges[u].start.line;
    if (lines.at(-1) === line) return;
    for (let t = unit.start; t < unit.end; t++) {
      if (isForking(values, t)) {
        lines.push(line);
        return;
      }
    }
  });
  return lines;
}

/** Binary search: ranges are in document order. */
function firstUnitEndingAtOrAfter(doc: RolloutDocument, line: number): number {
  let lo = 0;
  let hi = doc.ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (doc.ranges[mid].end.line < line) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first unit after `unit` (or before it, `direction` -1) holding a forking token; wraps around; -1 if none. */
export function nextForkingUnit(doc: RolloutDocument, values: TokenValues, unit: number, direction: 1 | -1): number {
  const units = doc.layout.units;
  const n = units.length;
  for (let k = 1; k <= n; k++) {
    const u = (((unit + direction * k) % n) + n) % n;
    for (let t = units[u].start; t < units[u].end; t++) {
      if (isForking(values, t)) return u;
    }
  }
  return -1;
}
