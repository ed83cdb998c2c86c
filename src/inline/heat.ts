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

export function heatRanges(doc: RolloutDocument, values: TokenValues, measure: Measure): HeatRanges {
  const bins: TextRange[][] = SCALES[measure].colors.map(() => []);
  const forking: TextRange[] = [];
  const noGradient: TextRange[] = [];
  const units = doc.layout.units;
  for (let u = 0; u < units.length; u++) {
    const range = doc.ranges[u];
    if (range.start.line === range.end.line && range.start.character === range.end.character) continue;
    const style = unitStyle(values, units[u], measure);
    if (style.bin >= 0) bins[style.bin].push(range);
    if (style.forking) forking.push(range);
    if (!style.gradient) noGradient.push(range);
  }
  return { bins, forking, noGradient };
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
