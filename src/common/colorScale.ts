// Binned colour scales for token measures: sequential for entropy and probability, diverging for
// advantage. Colours are translucent so the theme's foreground stays readable in light, dark and
// high-contrast themes.

export type Measure = 'entropy' | 'probability' | 'advantage' | 'implicit';

export interface BinnedScale {
  /** Bin i holds values in [edges[i], edges[i + 1]); the first and last bins are open-ended. */
  edges: number[];
  colors: string[];
  labels: string[];
}

export interface ColorScale extends BinnedScale {
  measure: Measure;
}

/** `bins` shades of one colour, from alpha `from` to `to` (the last bin). */
function sequential(rgb: string, bins: number, from = 0.08, to = 0.8): string[] {
  return Array.from({ length: bins }, (_, i) => `rgba(${rgb}, ${Number((bins === 1 ? to : from + ((to - from) * i) / (bins - 1)).toFixed(2))})`);
}

const ENTROPY_EDGES = [0, 0.25, 0.5, 1, 1.5, 2, 3];
const PROBABILITY_EDGES = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99];
const ADVANTAGE_EDGES = [-1, -0.5, -0.1, 0.1, 0.5, 1];
// DPO's per-token implicit reward beta × (log π − log π_ref): small numbers, 0 = unchanged from the reference.
const IMPLICIT_EDGES = [-0.1, -0.03, -0.005, 0.005, 0.03, 0.1];

/** Red below zero, neutral grey around it, green above: one colour per bin of six edges. */
const DIVERGING = [
  'rgba(220, 40, 40, 0.75)',
  'rgba(220, 40, 40, 0.5)',
  'rgba(220, 40, 40, 0.25)',
  'rgba(128, 128, 128, 0.12)',
  'rgba(30, 170, 70, 0.25)',
  'rgba(30, 170, 70, 0.5)',
  'rgba(30, 170, 70, 0.75)',
];

function divergingLabels(edges: number[]): string[] {
  const n = (v: number) => String(v).replace('-', '−');
  return [`< ${n(edges[0])}`, ...edges.slice(0, -1).map((e, i) => `${n(e)} … ${n(edges[i + 1])}`), `≥ ${n(edges[edges.length - 1])}`];
}

export const SCALES: Record<Measure, ColorScale> = {
  entropy: {
    measure: 'entropy',
    edges: ENTROPY_EDGES,
    colors: sequential('255, 120, 0', ENTROPY_EDGES.length),
    labels: labels(ENTROPY_EDGES),
  },
  probability: {
    measure: 'probability',
    edges: PROBABILITY_EDGES,
    // Low probability is the notable case: darkest first.
    colors: sequential('0, 140, 255', PROBABILITY_EDGES.length).reverse(),
    labels: labels(PROBABILITY_EDGES),
  },
  advantage: {
    measure: 'advantage',
    edges: [-Infinity, ...ADVANTAGE_EDGES],
    colors: DIVERGING,
    labels: divergingLabels(ADVANTAGE_EDGES),
  },
  implicit: {
    measure: 'implicit',
    edges: [-Infinity, ...IMPLICIT_EDGES],
    colors: DIVERGING,
    labels: divergingLabels(IMPLICIT_EDGES),
  },
};

/**
 * Δlogprob of a token: log p under another checkpoint minus log p under the one that sampled it
 * (cross-scores of an eval). Diverging like advantage: green where the other finds it more likely.
 */
export const DELTA_LOGPROB_SCALE: BinnedScale = {
  edges: [-Infinity, -2, -1, -0.25, 0.25, 1, 2],
  colors: SCALES.advantage.colors,
  labels: ['< −2', '−2 … −1', '−1 … −0.25', '−0.25 … 0.25', '0.25 … 1', '1 … 2', '≥ 2'],
};

/**
 * Counts from 1 to `max` in at most seven bins of whole numbers, darker for more (the dashboard's
 * difficulty heatmap; a count of 0 is drawn as nothing). Opaquer than the token scales: a cell has
 * no text over it, and its faintest shade must still show on the background.
 */
export function countScale(max: number): BinnedScale {
  const top = Math.max(1, Math.floor(max));
  const bins = Math.min(7, top);
  const edges = Array.from({ length: bins }, (_, i) => 1 + Math.floor((i * top) / bins));
  const labels = edges.map((e, i) => {
    const last = i + 1 < bins ? edges[i + 1] - 1 : top;
    return last === e ? String(e) : `${e}–${last}`;
  });
  return { edges, colors: sequential('0, 140, 255', bins, 0.25, 0.95), labels };
}

function labels(edges: number[]): string[] {
  return edges.map((e, i) => (i + 1 < edges.length ? `${e} … ${edges[i + 1]}` : `≥ ${e}`));
}

/** The bin of a value, or -1 when the value is not a number. */
export function binOf(scale: BinnedScale, value: number): number {
  if (!Number.isFinite(value)) {
    return -1;
  }
  let bin = 0;
  for (let i = 1; i < scale.edges.length; i++) {
    if (value >= scale.edges[i]) {
      bin = i;
    }
  }
  return bin;
}

/** The value of a token under a measure; advantage only on tokens that received gradient; the implicit
 * reward only in DPO shards. */
export function measureValue(
  measure: Measure,
  token: { entropy: number; logprob: number; inLoss: boolean; implicit?: number },
  advantage: number | null,
): number {
  switch (measure) {
    case 'entropy':
      return token.entropy;
    case 'probability':
      return Math.exp(token.logprob);
    case 'advantage':
      return token.inLoss && advantage !== null ? advantage : Number.NaN;
    case 'implicit':
      return token.implicit ?? Number.NaN;
  }
}
