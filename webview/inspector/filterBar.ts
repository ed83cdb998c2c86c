// The controls above the rollout list: sort, reward range, advantage sign, fresh / replayed rows
// (rollout replay), text search and truncated-only, with the count of rows shown. Owns no state: it
// shows the inspector's and reports each change (the search after the user pauses typing).

import type { InspectorState, RolloutFilter, SortKey } from '../../src/webviews/inspector/protocol';
import { el } from '../shared/dom';

export interface FilterBarEvents {
  sort(sort: SortKey): void;
  /** Every field but `text`. */
  filter(filter: Omit<RolloutFilter, 'text'>): void;
  search(text: string): void;
}

const SEARCH_PAUSE_MS = 250;

export class FilterBar {
  readonly element: HTMLElement;
  private readonly sortSelect = select('Sort', [
    ['group', 'group order'],
    ['reward', 'reward'],
    ['advantage', 'advantage'],
    ['length', 'length'],
    ['entropy', 'mean entropy'],
  ]);
  private readonly rewardMin = el('input', { type: 'number', step: 'any', placeholder: 'min', 'aria-label': 'Minimum reward', class: 'narrow' });
  private readonly rewardMax = el('input', { type: 'number', step: 'any', placeholder: 'max', 'aria-label': 'Maximum reward', class: 'narrow' });
  private readonly advantageSelect = select('Advantage', [
    ['any', 'any'],
    ['positive', '> 0'],
    ['negative', '< 0'],
    ['zero', '= 0'],
  ]);
  private readonly replaySelect = select('Replay', [
    ['all', 'fresh + replayed'],
    ['fresh', 'fresh'],
    ['replayed', 'replayed'],
  ]);
  private readonly searchField = el('vscode-textfield', { placeholder: 'Search text', 'aria-label': 'Search prompt and completion text' });
  private readonly truncatedBox = el('vscode-checkbox', { label: 'Truncated only' });
  private readonly count = el('span', { class: 'muted list-count' });
  private searchTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(events: FilterBarEvents) {
    this.element = el(
      'div',
      { class: 'filters' },
      el('label', {}, 'Sort', this.sortSelect),
      el('label', {}, 'Reward', this.rewardMin, this.rewardMax),
      el('label', {}, 'Adv.', this.advantageSelect),
      el('label', { title: 'Rollout replay: rows generated for this step, or taken from the replay buffer' }, 'Replay', this.replaySelect),
      this.searchField,
      this.truncatedBox,
      this.count,
    );
    this.sortSelect.addEventListener('change', () => events.sort(this.sortSelect.value as SortKey));
    const onFilter = () => events.filter(this.filter());
    this.rewardMin.addEventListener('input', onFilter);
    this.rewardMax.addEventListener('input', onFilter);
    this.advantageSelect.addEventListener('change', onFilter);
    this.replaySelect.addEventListener('change', onFilter);
    this.truncatedBox.addEventListener('change', onFilter);
    this.searchField.addEventListener('input', () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => events.search(value(this.searchField)), SEARCH_PAUSE_MS);
    });
  }

  /** Shows the inspector's sort and filter (at start, and after a restore). */
  sync(state: Pick<InspectorState, 'sort' | 'filter'>): void {
    const f = state.filter;
    this.sortSelect.value = state.sort;
    this.advantageSelect.value = f.advantageSign;
    this.replaySelect.value = f.replay;
    this.rewardMin.value = f.rewardMin === null ? '' : String(f.rewardMin);
    this.rewardMax.value = f.rewardMax === null ? '' : String(f.rewardMax);
    (this.searchField as unknown as { value: string }).value = f.text;
    (this.truncatedBox as unknown as { checked: boolean }).checked = f.truncatedOnly;
  }

  showCount(shown: number, total: number): void {
    this.count.textContent = `${shown} of ${total}`;
  }

  private filter(): Omit<RolloutFilter, 'text'> {
    return {
      rewardMin: this.rewardMin.value === '' ? null : Number(this.rewardMin.value),
      rewardMax: this.rewardMax.value === '' ? null : Number(this.rewardMax.value),
      advantageSign: this.advantageSelect.value as RolloutFilter['advantageSign'],
      replay: this.replaySelect.value as RolloutFilter['replay'],
      truncatedOnly: (this.truncatedBox as unknown as { checked: boolean }).checked,
    };
  }
}

/** A native select with an accessible name. */
export function select(label: string, options: [string, string][]): HTMLSelectElement {
  const element = el('select', { 'aria-label': label });
  for (const [value, text] of options) element.appendChild(el('option', { value }, text));
  return element;
}

function value(field: HTMLElement): string {
  return (field as unknown as { value: string }).value;
}
