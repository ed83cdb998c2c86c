// Side by side: one column per checkpoint with that checkpoint's samples of the opened prompt, each
// token coloured on the inspector's scales (entropy, probability) or, where cross-scores exist, by
// Δlogprob: how much more (green) or less (red) likely the other checkpoint finds the token.
// Correct samples are marked; "Open in Editor" opens one as a rollout document. Model text enters the page only as text nodes.

import type { EvalSample, PromptDetail, SampleMeasure } from '../../src/webviews/compare/protocol';
import { formatNumber } from '../../src/common/format';
import { append, el } from '../shared/dom';
import { DELTA_LOGPROB_SCALE, SCALES, binOf, type BinnedScale } from '../../src/common/colorScale';
import { tokenUnits, visibleSegments } from '../../src/common/tokenUnits';

/** Samples shown per checkpoint before "Show all". */
export const FIRST_SAMPLES = 8;
/** Token units drawn per sample before "… more". */
const MAX_UNITS = 4000;

export interface SamplesOptions {
  checkpoints: string[];
  measure: SampleMeasure;
  reference: string;
  target: string;
  /** Starts `rlstudio score` (absent where nothing may run: an untrusted workspace, a deleted run). */
  score?: (checkpoint: string, scorer: string) => void;
  /** "Open in Editor": the sample as a rollout document. */
  open?: (checkpoint: string, sample: number) => void;
}

/** Which checkpoint's scores a sample of `checkpoint` is compared with: the other of reference and target. */
export function scorerFor(checkpoint: string, options: { reference: string; target: string }, detail: PromptDetail): string | undefined {
  const preferred = checkpoint === options.target ? options.reference : options.target;
  if (detail.crossScores[`${checkpoint} ${preferred}`]) return preferred;
  return Object.keys(detail.crossScores).find((key) => key.startsWith(`${checkpoint} `))?.slice(checkpoint.length + 1);
}

export class SamplesView {
  readonly element = el('section', { class: 'samples', 'aria-label': 'Samples side by side' });
  private expanded = new Set<string>();
  private detail: PromptDetail | undefined;

  show(detail: PromptDetail, options: SamplesOptions): void {
    if (this.detail?.promptId !== detail.promptId) this.expanded.clear();
    this.detail = detail;
    const scale = options.measure === 'deltaLogprob' ? DELTA_LOGPROB_SCALE : SCALES[options.measure];
    const header = el('div', { class: 'prompt-head' }, el('h3', {}, `Prompt ${detail.promptId}`));
    const prompt = el('pre', { class: 'prompt', 'aria-label': 'Prompt' }, detail.prompt);
    if (detail.answer !== null) header.appendChild(el('span', { class: 'muted' }, 'expected answer: ', el('code', {}, detail.answer)));
    const columns = el('div', { class: 'columns' });
    columns.style.setProperty('--columns', String(Math.max(1, options.checkpoints.length)));
    for (const name of options.checkpoints) columns.appendChild(this.column(detail, name, options, scale));
    this.element.replaceChildren(
      header,
      prompt,
      legend(scale, options.measure),
      ...detail.errors.map((e) => el('div', { class: 'error-banner' }, e)),
      columns,
    );
  }

  private column(detail: PromptDetail, name: string, options: SamplesOptions, scale: BinnedScale): HTMLElement {
    const samples = detail.samples[name] ?? [];
    const correct = samples.filter((s) => s.correct).length;
    const scorer = options.measure === 'deltaLogprob' ? scorerFor(name, options, detail) : undefined;
    const column = el(
      'div',
      { class: 'column', 'data-checkpoint': name },
      el('h4', {}, name, ' ', el('span', { class: 'muted' }, `${correct}/${samples.length} correct`)),
    );
    if (options.measure === 'deltaLogprob') {
      column.appendChild(el('p', { class: 'muted' }, scorer ? `Δlogprob = log p(${scorer}) − log p(${name})` : `No cross-scores of ${name}'s samples (rlstudio score).`));
      const other = name === options.reference ? options.target : options.reference;
      if (!scorer && options.score && other !== name) {
        const button = el('button', { class: 'link score', type: 'button' }, `Score ${name}'s samples under ${other}`);
        button.addEventListener('click', () => options.score!(name, other));
        column.appendChild(button);
      }
    }
    const shown = this.expanded.has(name) ? samples : samples.slice(0, FIRST_SAMPLES);
    const scores = scorer ? detail.crossScores[`${name} ${scorer}`] : undefined;
    for (const sample of shown) {
      const delta = scores?.find((s) => s.sampleIndex === sample.sampleIndex);
      const card = sampleCard(sample, scale, options.measure, delta?.logprobs);
      if (options.open) {
        const open = options.open;
        const button = el('button', { class: 'link open-editor', type: 'button', 'aria-label': `Open sample ${sample.sampleIndex} of ${name} in the editor` }, 'Open in Editor');
        button.addEventListener('click', () => open(name, sample.sampleIndex));
        card.querySelector('.sample-head')!.appendChild(button);
      }
      column.appendChild(card);
    }
    if (shown.length < samples.length) {
      const more = el('button', { class: 'link show-all' }, `Show all ${samples.length} samples`);
      more.addEventListener('click', () => {
        this.expanded.add(name);
        this.show(detail, options);
      });
      column.appendChild(more);
    }
    return column;
  }
}

function sampleCard(sample: EvalSample, scale: BinnedScale, measure: SampleMeasure, otherLogprobs: number[] | undefined): HTMLElement {
  const facts = [`reward ${formatNumber(sample.reward)}`, `${sample.tokens.length} tokens`];
  if (sample.truncated) facts.push('truncated');
  const card = el(
    'article',
    { class: `sample ${sample.correct ? 'correct' : 'wrong'}`, 'data-sample': sample.sampleIndex, 'aria-label': `Sample ${sample.sampleIndex}, ${sample.correct ? 'correct' : 'not correct'}` },
    el('div', { class: 'sample-head' }, el('span', { class: 'mark' }, sample.correct ? '✓ correct' : '✗'), ` #${sample.sampleIndex} · ${facts.join(' · ')}`),
  );
  if (sample.rewardError) card.appendChild(el('div', { class: 'reward-error' }, sample.rewardError));
  const tokens = el('div', { class: 'tokens' });
  const units = tokenUnits(sample.tokens, sample.completion);
  for (const unit of units.slice(0, MAX_UNITS)) {
    let sum = 0;
    let n = 0;
    for (let t = unit.start; t < unit.end; t++) {
      const v = valueOf(measure, sample, t, otherLogprobs);
      if (Number.isFinite(v)) {
        sum += v;
        n++;
      }
    }
    const bin = n > 0 ? binOf(scale, sum / n) : -1;
    const span = el('span', { class: 'tok', 'data-bin': bin, title: tokenTitle(sample, unit.start, unit.end, otherLogprobs) });
    if (bin >= 0) span.style.backgroundColor = scale.colors[bin];
    for (const segment of visibleSegments(unit.text, false)) {
      if (segment.kind === 'text') append(span, segment.text);
      else span.appendChild(el('span', { class: segment.kind }, segment.text));
    }
    tokens.appendChild(span);
  }
  if (units.length > MAX_UNITS) tokens.appendChild(el('span', { class: 'muted' }, ` … ${units.length - MAX_UNITS} more`));
  card.appendChild(tokens);
  return card;
}

function valueOf(measure: SampleMeasure, sample: EvalSample, t: number, other: number[] | undefined): number {
  switch (measure) {
    case 'entropy':
      return sample.entropies[t];
    case 'probability':
      return Math.exp(sample.logprobs[t]);
    case 'deltaLogprob':
      return other && t < other.length ? other[t] - sample.logprobs[t] : Number.NaN;
  }
}

function tokenTitle(sample: EvalSample, start: number, end: number, other: number[] | undefined): string {
  const parts: string[] = [];
  for (let t = start; t < end && t < start + 4; t++) {
    const line = [`#${t}`, `logprob ${formatNumber(sample.logprobs[t], 4)}`, `entropy ${formatNumber(sample.entropies[t], 4)}`];
    if (other && t < other.length) line.push(`Δlogprob ${formatNumber(other[t] - sample.logprobs[t], 4)}`);
    parts.push(line.join(' · '));
  }
  return parts.join('\n');
}

function legend(scale: BinnedScale, measure: SampleMeasure): HTMLElement {
  const legend = el('div', { class: 'legend', 'aria-label': `Colour scale: ${measure}` });
  legend.appendChild(el('span', { class: 'muted' }, measure === 'deltaLogprob' ? 'Δlogprob (other − own)' : measure));
  scale.colors.forEach((color, i) => {
    const swatch = el('span', { class: 'swatch', 'data-bin': i });
    swatch.style.backgroundColor = color;
    legend.appendChild(el('span', { class: 'legend-bin' }, swatch, scale.labels[i]));
  });
  return legend;
}
