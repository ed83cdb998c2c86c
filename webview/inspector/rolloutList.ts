// The rollout list of one step, grouped by prompt (one GRPO group per prompt), sorted and filtered.
// Rows have a fixed height and only the visible ones are in the DOM, so 1,024 rollouts scroll smoothly.

import type { RolloutFilter, RolloutSummary, SortKey, StepRollouts } from '../../src/webviews/inspector/protocol';
import { el } from '../shared/dom';
import { replayMark } from './replayMark';
import { formatNumber } from '../../src/common/format';
import { visibleSegments } from '../../src/common/tokenUnits';

export const ROW_HEIGHT = 24;
const OVERSCAN = 10;

type Row =
  | { kind: 'group'; promptIndex: number; prompt: string; count: number; meanReward: number | null; replayed: boolean; age: number }
  | { kind: 'rollout'; r: RolloutSummary };

/** Applies the filter (text matches come from the host as a set of rows) and the sort; groups stay together. */
export function arrangeRollouts(
  step: StepRollouts,
  sort: SortKey,
  filter: RolloutFilter,
  textMatches: ReadonlySet<number> | null,
): Row[] {
  const keep = (r: RolloutSummary): boolean => {
    if (filter.truncatedOnly && !r.truncated) return false;
    if (filter.replay === 'fresh' && r.replayed) return false;
    if (filter.replay === 'replayed' && !r.replayed) return false;
    if (filter.rewardMin !== null && !(r.reward !== null && r.reward >= filter.rewardMin)) return false;
    if (filter.rewardMax !== null && !(r.reward !== null && r.reward <= filter.rewardMax)) return false;
    const a = r.advantage ?? 0;
    if (filter.advantageSign === 'positive' && !(a > 0)) return false;
    if (filter.advantageSign === 'negative' && !(a < 0)) return false;
    if (filter.advantageSign === 'zero' && a !== 0) return false;
    if (textMatches && !textMatches.has(r.row)) return false;
    return true;
  };
  const key = (r: RolloutSummary): number => {
    switch (sort) {
      case 'reward':
        return -(r.reward ?? -Infinity);
      case 'advantage':
        return -(r.advantage ?? -Infinity);
      case 'length':
        return -r.length;
      case 'entropy':
        return -(r.meanEntropy ?? -Infinity);
      default:
        return r.groupIndex;
    }
  };
  const groups = new Map<number, RolloutSummary[]>();
  for (const r of step.rollouts) {
    if (!keep(r)) continue;
    const list = groups.get(r.promptIndex) ?? [];
    list.push(r);
    groups.set(r.promptIndex, list);
  }
  const rows: Row[] = [];
  for (const promptIndex of [...groups.keys()].sort((a, b) => a - b)) {
    const members = groups.get(promptIndex)!.sort((a, b) => key(a) - key(b) || a.groupIndex - b.groupIndex);
    const rewards = members.map((m) => m.reward).filter((v): v is number => v !== null);
    rows.push({
      kind: 'group',
      promptIndex,
      prompt: step.prompts[promptIndex] ?? '',
      count: members.length,
      meanReward: rewards.length ? rewards.reduce((a, b) => a + b, 0) / rewards.length : null,
      // Replay takes whole groups: the group is marked when every row shown is replayed.
      replayed: members.every((m) => m.replayed),
      age: members[0].age,
    });
    for (const r of members) rows.push({ kind: 'rollout', r });
  }
  return rows;
}

export class RolloutList {
  readonly element = el('div', { class: 'rollout-list', role: 'listbox', tabindex: 0, 'aria-label': 'Rollouts' });
  private readonly spacer = el('div', { class: 'spacer' });
  private readonly window = el('div', { class: 'window' });
  private rows: Row[] = [];
  private rewardNames: string[] = [];
  private selected: number | null = null;

  constructor(private readonly onSelect: (row: RolloutSummary) => void) {
    this.spacer.appendChild(this.window);
    this.element.appendChild(this.spacer);
    this.element.addEventListener('scroll', () => this.paint());
    this.element.addEventListener('click', (e) => {
      const target = (e.target as HTMLElement).closest<HTMLElement>('[data-row]');
      if (target) this.select(Number(target.dataset.row), true);
    });
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    new ResizeObserver(() => this.paint()).observe(this.element);
  }

  setRows(rows: Row[], rewardNames: string[], selected: number | null): void {
    this.rows = rows;
    this.rewardNames = rewardNames;
    this.selected = selected;
    this.spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
    this.paint();
  }

  get count(): number {
    return this.rows.filter((r) => r.kind === 'rollout').length;
  }

  /** Selects a rollout by shard row and scrolls it into view. */
  select(row: number, notify: boolean): void {
    const index = this.rows.findIndex((r) => r.kind === 'rollout' && r.r.row === row);
    if (index < 0) return;
    this.selected = row;
    const top = index * ROW_HEIGHT;
    if (top < this.element.scrollTop || top + ROW_HEIGHT > this.element.scrollTop + this.element.clientHeight) {
      this.element.scrollTop = Math.max(0, top - this.element.clientHeight / 2);
    }
    this.paint();
    if (notify) this.onSelect((this.rows[index] as { r: RolloutSummary }).r);
  }

  private onKey(event: KeyboardEvent): void {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    event.preventDefault();
    const rollouts = this.rows.filter((r): r is { kind: 'rollout'; r: RolloutSummary } => r.kind === 'rollout');
    const at = rollouts.findIndex((r) => r.r.row === this.selected);
    const next = rollouts[Math.max(0, Math.min(rollouts.length - 1, at + (event.key === 'ArrowDown' ? 1 : -1)))];
    if (next) this.select(next.r.row, true);
  }

  /** Row elements by index, kept while the rows and selection stay the same (scrolling reuses them). */
  private built = new Map<number, HTMLElement>();
  private builtFor: { rows: Row[]; selected: number | null } | undefined;

  private paint(): void {
    if (this.builtFor?.rows !== this.rows || this.builtFor.selected !== this.selected) {
      this.built.clear();
      this.builtFor = { rows: this.rows, selected: this.selected };
    }
    const height = this.element.clientHeight || 600;
    const first = Math.max(0, Math.floor(this.element.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((this.element.scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
    const elements: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      let element = this.built.get(i);
      if (!element) {
        element = this.rowElement(this.rows[i]);
        this.built.set(i, element);
      }
      elements.push(element);
    }
    this.window.replaceChildren(...elements);
    this.window.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
  }

  private rowElement(row: Row): HTMLElement {
    if (row.kind === 'group') {
      const prompt = oneLine(row.prompt).slice(-120);
      return el(
        'div',
        { class: 'group-row', title: `Prompt ${row.promptIndex}` },
        el('span', { class: 'g' }, `#${row.promptIndex}`),
        el('span', { class: 'num' }, `r̄ ${formatNumber(row.meanReward, 2)}`),
        el('span', { class: 'muted' }, `${row.count}×`),
        replayMark(row),
        el('span', { class: 'preview' }, prompt),
      );
    }
    const r = row.r;
    const selected = r.row === this.selected;
    const perFunction = this.rewardNames.map((name) => `${name} ${formatNumber(r.rewards[name], 2)}`).join(' · ');
    const element = el(
      'div',
      {
        class: `rollout-row${selected ? ' selected' : ''}${r.rewardError ? ' has-error' : ''}`,
        role: 'option',
        'aria-selected': selected ? 'true' : 'false',
        'data-row': r.row,
        title: perFunction + (r.rewardError ? `\nreward error: ${r.rewardError}` : ''),
      },
      el('span', { class: 'g' }, `g${r.groupIndex}`),
      el('span', { class: 'num reward' }, formatNumber(r.reward, 2)),
      el('span', { class: `num adv ${(r.advantage ?? 0) > 0 ? 'pos' : (r.advantage ?? 0) < 0 ? 'neg' : ''}` }, formatNumber(r.advantage, 2)),
      el('span', { class: 'num' }, `${r.length} tok`),
      el('span', { class: 'num' }, `H ${formatNumber(r.meanEntropy, 2)}`),
      el('span', { class: 'flag' }, r.truncated ? 'trunc' : ''),
      replayMark(r),
      el('span', { class: 'preview' }, oneLine(r.preview)),
    );
    return element;
  }
}


/** Untrusted text as one inert line: whitespace collapsed, control and bidi characters as code points. */
function oneLine(text: string): string {
  return visibleSegments(text, false)
    .map((s) => s.text)
    .join('')
    .replace(/\s+/g, ' ');
}
