// The per-prompt matrix: prompts × checkpoints, c/n per cell as a heat colour, the difference of the
// compared checkpoint against the reference, sortable by any column. Virtualised: only the rows in
// view (and a few around them) are in the DOM, so 1,000 prompts open as fast as 20.
// Keyboard: arrows, Page Up/Down, Home/End move the active row; Enter opens it.

import { el } from '../shared/dom';
import { heatBin, type Matrix, type MatrixRow } from './matrixModel';

export const ROW_HEIGHT = 24;
const OVERSCAN = 8;

export interface MatrixViewEvents {
  open(promptId: number): void;
  sort(column: string): void;
}

export class MatrixView {
  readonly element = el('div', { class: 'matrix', role: 'grid' });
  private readonly head = el('div', { class: 'mrow head', role: 'row' });
  private readonly scroller = el('div', { class: 'mscroll', tabindex: 0, 'aria-label': 'Prompts; arrow keys move, Enter opens' });
  private readonly spacer = el('div', { class: 'mspacer' });
  private readonly body = el('div', { class: 'mbody', role: 'rowgroup' });
  private rows: MatrixRow[] = [];
  private matrix: Matrix = { checkpoints: [], rows: [] };
  private ref = -1;
  private target = -1;
  private active = 0;
  private selected: number | null = null;
  private drawn = { from: -1, to: -1 };
  private frame = 0;

  constructor(private readonly events: MatrixViewEvents) {
    this.spacer.appendChild(this.body);
    this.scroller.appendChild(this.spacer);
    this.element.append(this.head, this.scroller);
    this.scroller.addEventListener('scroll', () => {
      if (!this.frame) this.frame = requestAnimationFrame(() => ((this.frame = 0), this.draw()));
    });
    this.body.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.mrow');
      if (row) this.openAt(Number(row.dataset.index));
    });
    this.head.addEventListener('click', (e) => {
      const button = (e.target as HTMLElement).closest<HTMLElement>('button[data-sort]');
      if (button) this.events.sort(button.dataset.sort!);
    });
    this.scroller.addEventListener('keydown', (e) => this.onKey(e));
  }

  /** Shows `rows` (already filtered and sorted) of `matrix`. */
  show(matrix: Matrix, rows: MatrixRow[], options: { reference: string; target: string; sort: { column: string; descending: boolean }; selected: number | null }): void {
    this.matrix = matrix;
    this.rows = rows;
    this.ref = matrix.checkpoints.indexOf(options.reference);
    this.target = matrix.checkpoints.indexOf(options.target);
    this.selected = options.selected;
    this.active = Math.min(this.active, Math.max(0, rows.length - 1));
    const columns = `4em minmax(12em, 1fr) ${matrix.checkpoints.map(() => '7em').join(' ')} 6em`;
    this.element.style.setProperty('--matrix-columns', columns);
    this.element.setAttribute('aria-rowcount', String(rows.length + 1));
    const sortButton = (column: string, label: string, title?: string) => {
      const sorted = options.sort.column === column;
      return el(
        'div',
        { role: 'columnheader', 'aria-sort': sorted ? (options.sort.descending ? 'descending' : 'ascending') : 'none' },
        el('button', { class: 'link', 'data-sort': column, title: title ?? `Sort by ${label}` }, `${label}${sorted ? (options.sort.descending ? ' ▼' : ' ▲') : ''}`),
      );
    };
    this.head.replaceChildren(
      sortButton('prompt', '#'),
      sortButton('text', 'prompt'),
      ...matrix.checkpoints.map((name) => sortButton(name, name, `Sort by ${name}'s correct samples (c/n)`)),
      sortButton('delta', 'Δ', `${options.target} minus ${options.reference} (pass@1 of the prompt)`),
    );
    this.spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
    this.drawn = { from: -1, to: -1 };
    this.draw();
  }

  private draw(): void {
    const height = this.scroller.clientHeight || 400;
    const from = Math.max(0, Math.floor(this.scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const to = Math.min(this.rows.length, Math.ceil((this.scroller.scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
    if (from === this.drawn.from && to === this.drawn.to) return;
    this.drawn = { from, to };
    const fragment = document.createDocumentFragment();
    for (let i = from; i < to; i++) fragment.appendChild(this.rowElement(i));
    this.body.replaceChildren(fragment);
  }

  private rowElement(i: number): HTMLElement {
    const row = this.rows[i];
    const classes = ['mrow'];
    if (i === this.active) classes.push('active');
    if (row.promptId === this.selected) classes.push('selected');
    const element = el('div', { class: classes.join(' '), role: 'row', 'data-index': i, 'data-prompt': row.promptId, 'aria-rowindex': i + 2 });
    element.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
    element.append(el('div', { role: 'gridcell', class: 'num muted' }, String(row.promptId)), el('div', { role: 'gridcell', class: 'preview' }, row.preview));
    row.counts.forEach((count, j) => {
      const cell = el('div', { role: 'gridcell', class: `num cell heat-${count ? heatBin(count) : 'none'}`, title: `${this.matrix.checkpoints[j]}: ${count ? `${count.c} of ${count.n} samples correct` : 'not evaluated'}` }, count ? `${count.c}/${count.n}` : '—');
      element.appendChild(cell);
    });
    const a = row.counts[this.ref];
    const b = row.counts[this.target];
    const delta = a && b && a.n && b.n ? b.c / b.n - a.c / a.n : null;
    element.appendChild(el('div', { role: 'gridcell', class: `num ${delta === null ? 'muted' : delta > 0 ? 'gain' : delta < 0 ? 'loss' : ''}` }, delta === null ? '—' : `${delta > 0 ? '+' : delta < 0 ? '−' : ''}${Math.abs(delta).toFixed(2)}`));
    return element;
  }

  private onKey(event: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(this.scroller.clientHeight / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    let next = this.active;
    if (event.key in moves) next += moves[event.key];
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = this.rows.length - 1;
    else if (event.key === 'Enter') {
      event.preventDefault();
      this.openAt(this.active);
      return;
    } else return;
    event.preventDefault();
    this.setActive(Math.max(0, Math.min(this.rows.length - 1, next)));
  }

  private setActive(i: number): void {
    this.active = i;
    const top = i * ROW_HEIGHT;
    if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
    else if (top + ROW_HEIGHT > this.scroller.scrollTop + this.scroller.clientHeight) this.scroller.scrollTop = top + ROW_HEIGHT - this.scroller.clientHeight;
    this.drawn = { from: -1, to: -1 };
    this.draw();
  }

  private openAt(i: number): void {
    const row = this.rows[i];
    if (!row) return;
    this.active = i;
    this.selected = row.promptId;
    this.drawn = { from: -1, to: -1 };
    this.draw();
    this.events.open(row.promptId);
  }
}
