// The rollout replay mark the list's rows and groups and the Group tab's cards share.

import { el } from '../shared/dom';

/** Rollout replay: "↻ 2" with the accessible name "replayed, age 2 steps"; empty for a fresh row or group. */
export function replayMark(r: { replayed: boolean; age: number }): HTMLElement {
  if (!r.replayed) return el('span', { class: 'replay' });
  const name = `replayed, age ${r.age} step${r.age === 1 ? '' : 's'}`;
  return el('span', { class: 'replay', title: name }, el('span', { 'aria-hidden': 'true' }, `↻ ${r.age}`), el('span', { class: 'sr-only' }, name));
}
