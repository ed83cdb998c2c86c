// The line under a rollout's prompt naming its source data row and, with difficulty-targeted
// selection, why the prompt was chosen for that step (docs/data-efficiency.md); a replayed row says so,
// and its choice is the one of the step that generated it. Pure text.
import type { InspectedRollout } from '../../src/webviews/inspector/protocol';

/** "Replayed from step 5 (age 2)": a row taken from the replay buffer, generated `age` steps before its step. */
export function replayLine(detail: Pick<InspectedRollout, 'step' | 'age'>): string {
  return `Replayed from step ${detail.step - detail.age} (age ${detail.age})`;
}

/** "Data row 41 · chosen for the target difficulty: estimated 0.46 from similar prompts, observed 0.75";
 * replayed: "Data row 41 · replayed from step 5, chosen there for the target difficulty: …". */
export function sourceLine(detail: InspectedRollout): string {
  const parts = [`Data row ${detail.datasetIndex}`];
  // A replayed row's choice is the one of the round that generated it ("there").
  const replayed = detail.replayed ? `replayed from step ${detail.step - detail.age}` : '';
  const choice = detail.selection;
  if (!choice && replayed) parts.push(replayed);
  if (choice) {
    const chosen = replayed ? `${replayed}, chosen there` : 'chosen';
    const why = choice.reason === 'target' ? `${chosen} for the target difficulty` : `${chosen} at random (exploration)`;
    const basis = { observed: 'from its latest rollouts', predicted: 'from similar prompts', none: '' }[choice.basis];
    const estimate = choice.estimate === null ? 'no estimate yet' : `estimated ${choice.estimate.toFixed(2)} ${basis}`.trim();
    const observed = choice.observed === null ? '' : `, observed ${choice.observed.toFixed(2)}`;
    parts.push(`${why}: ${estimate}${observed}`);
  }
  return parts.join(' · ');
}
