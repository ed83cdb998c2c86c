// All completions of one prompt side by side, with their rewards and advantages; replayed ones marked as in the list.

import type { GroupCompletion } from '../../src/webviews/inspector/protocol';
import { clear, el } from '../shared/dom';
import { replayMark } from './replayMark';
import { formatNumber } from '../../src/common/format';
import { visibleSegments } from '../../src/common/tokenUnits';

export class GroupView {
  readonly element = el('div', { class: 'group-view' });

  constructor(private readonly onOpen: (row: number) => void) {}

  show(prompt: string, completions: GroupCompletion[], selectedRow: number | null): void {
    clear(this.element);
    this.element.appendChild(el('pre', { class: 'prompt group-prompt' }, inert(prompt)));
    const grid = el('div', { class: 'group-grid' });
    for (const c of [...completions].sort((a, b) => a.groupIndex - b.groupIndex)) {
      const rewards = Object.entries(c.rewards).map(([name, v]) => `${name} ${formatNumber(v, 3)}`);
      const card = el(
        'section',
        { class: `group-card${c.row === selectedRow ? ' selected' : ''}`, 'data-row': c.row },
        el(
          'header',
          {},
          el('strong', {}, `g${c.groupIndex}`),
          ' ',
          replayMark(c),
          ` reward ${formatNumber(c.reward, 3)} · advantage ${formatNumber(c.advantage, 3)}${c.truncated ? ' · truncated' : ''}`,
          el('div', { class: 'muted' }, rewards.join(' · ')),
          el('button', { class: 'link', 'data-open': c.row }, 'tokens'),
        ),
        el('pre', { class: 'completion' }, inert(c.completion)),
      );
      grid.appendChild(card);
    }
    this.element.appendChild(grid);
    this.element.onclick = (e) => {
      const open = (e.target as HTMLElement).closest<HTMLElement>('[data-open]');
      if (open) this.onOpen(Number(open.dataset.open));
    };
  }

  clear(message: string): void {
    clear(this.element);
    this.element.appendChild(el('p', { class: 'muted' }, message));
  }
}

function inert(text: string): string {
  return visibleSegments(text, false)
    .map((s) => s.text)
    .join('');
}
