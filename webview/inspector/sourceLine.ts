// The line under a rollout's prompt naming its source data row and, with difficulty-targeted
// selection, why the prompt was chosen for that step (docs/data-efficiency.md). Pure text.
import type { InspectedRollout } from '../../src/webviews/inspector/protocol';

/** "Data row 41 · chosen for the target difficulty: estimated 0.46 from similar prompts, observed 0.75". */
export function sourceLine(detail: InspectedRollout): string {
  const parts = [`Data row ${detail.datasetIndex}`];
  const choice = detail.selection;
  if (choice) {
    const why = choice.reason === 'target' ? 'chosen for the target difficulty' : 'chosen at random (exploration)';
    const basis = { observed: 'from its latest rollouts', predicted: 'from similar prompts', none: '' }[choice.basis];
    const estimate = choice.estimate === null ? 'no estimate yet' : `estimated ${choice.estimate.toFixed(2)} ${basis}`.trim();
    const observed = choice.observed === null ? '' : `, observed ${choice.observed.toFixed(2)}`;
    parts.push(`${why}: ${estimate}${observed}`);
  }
  return parts.join(' · ');
}
