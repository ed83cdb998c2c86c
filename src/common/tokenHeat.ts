// How one display unit of a rollout looks, wherever it is shown (inspector webview, editor
// decorations, comparison panel): its colour bin under a measure (the mean of its tokens' values),
// whether one of its tokens is a forking token, and whether any of them received gradient.
// Pure code: no `vscode`, no DOM.

import { SCALES, binOf, measureValue, type Measure } from './colorScale';

/** The per-token columns a rollout (or an eval sample) carries. */
export interface TokenValues {
  logprobs: ArrayLike<number>;
  entropies: ArrayLike<number>;
  lossMask: ArrayLike<number>;
  advantage: number | null;
  /** Forking-mask entropy threshold; null when every token is in the mask. */
  entropyThreshold: number | null;
  /** DPO runs: the per-token implicit reward beta × (logprob − ref logprob); absent otherwise. */
  implicitRewards?: ArrayLike<number> | null;
}

export interface UnitStyle {
  /** Colour bin of the scale, -1 when no token of the unit has a value under the measure. */
  bin: number;
  /** A token of the unit is at or above the forking-mask entropy threshold. */
  forking: boolean;
  /** A token of the unit received gradient (loss mask 1). */
  gradient: boolean;
}

/** A token is forking when a threshold exists and its entropy reaches it. */
export function isForking(values: TokenValues, t: number): boolean {
  return values.entropyThreshold !== null && values.entropies[t] >= values.entropyThreshold;
}

/** The style of tokens [start, end) shown as one piece of text. */
export function unitStyle(values: TokenValues, unit: { start: number; end: number }, measure: Measure): UnitStyle {
  const scale = SCALES[measure];
  let sum = 0;
  let n = 0;
  let gradient = false;
  let forking = false;
  for (let t = unit.start; t < unit.end; t++) {
    const inLoss = values.lossMask[t] === 1;
    gradient ||= inLoss;
    forking ||= isForking(values, t);
    const v = measureValue(measure, { entropy: values.entropies[t], logprob: values.logprobs[t], inLoss, implicit: values.implicitRewards?.[t] }, values.advantage);
    if (Number.isFinite(v)) {
      sum += v;
      n++;
    }
  }
  return { bin: n > 0 ? binOf(scale, sum / n) : -1, forking, gradient };
}

/** Theme colour id (VS Code's `--vscode-editorWarning-foreground`) of the forking-token outline. */
export const FORKING_OUTLINE_COLOR = 'editorWarning.foreground';
/** Opacity of tokens that received no gradient. */
export const NO_GRADIENT_OPACITY = 0.45;

/** A token's number as stored (float32 shown to 6 significant digits, which round-trips it). */
export function exact(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) {
    return '—';
  }
  return Number.isFinite(value) ? String(Number(value.toPrecision(6))) : String(value);
}
