// KP editor app: problems on the left (search, filters), the problem and its knowledge points on
// the right. Keyboard-first: ↑/↓ move between problems, Enter in "new point" adds it, Alt+↑/↓
// reorder the focused point, Ctrl+Delete removes it, Ctrl+Space toggles selected, Ctrl+S saves,
// Ctrl+Z / Ctrl+Shift+Z undo and redo. Every change goes to the host as a full entry list.

import '../shared/base.css';
import './kpEditor.css';
import type { KpEntry } from '../../src/knowledge/kpFile';
import type { KpEditorProtocol, KpEditorSavedState, KpEditorState } from '../../src/webviews/kpEditor/protocol';
import { clear, el } from '../shared/dom';
import { formatNumber } from '../../src/common/format';
import { HostConnection, readInitialState } from '../shared/ipc';
import { History } from './history';

type Filter = 'all' | 'with' | 'without' | 'selected' | 'searched';
interface View {
  current: string | null;
  search: string;
  filter: Filter;
}

const host = new HostConnection<KpEditorProtocol, View & KpEditorSavedState>();
const app = document.getElementById('app')!;
let state: KpEditorState | undefined = readInitialState<KpEditorState>();
let history = new History(state?.entries ?? []);
let revision = state?.revision ?? -1;
const view: View = host.getState() ?? { current: null, search: '', filter: 'all' };
let focusAfterRender: string | null = null;

host.onNotification('kp/state', (next) => {
  state = next;
  if (next.revision !== revision) {
    revision = next.revision;
    history = new History(next.entries);
  }
  render();
});
host.ready();
document.addEventListener('keydown', onGlobalKey);
render();

// --- editing -------------------------------------------------------------------------------------

function edit(change: (entry: KpEntry) => void, focus: string | null = null): void {
  const problem = view.current;
  if (!problem) return;
  history.change((entries) => {
    const entry = entries.find((e) => e.problem === problem);
    if (entry) change(entry);
  });
  focusAfterRender = focus;
  host.command('kp/edit', { entries: history.current, revision });
  render();
}

function newPointId(entry: KpEntry): string {
  const ids = new Set(entry.points.map((p) => p.id));
  let n = entry.points.length + 1;
  while (ids.has(`kp${n}`)) n++;
  return `kp${n}`;
}

function move(entry: KpEntry, index: number, by: number): void {
  const to = index + by;
  if (to < 0 || to >= entry.points.length) return;
  const [point] = entry.points.splice(index, 1);
  entry.points.splice(to, 0, point!);
}

function onGlobalKey(event: KeyboardEvent): void {
  const mod = event.ctrlKey || event.metaKey;
  if (mod && event.key.toLowerCase() === 's') {
    event.preventDefault();
    host.command('kp/save', { entries: history.current, revision });
  } else if (mod && event.key.toLowerCase() === 'z' && !(event.target instanceof HTMLInputElement && event.target.type === 'text')) {
    event.preventDefault();
    if (event.shiftKey ? history.redo() : history.undo()) {
      host.command('kp/edit', { entries: history.current, revision });
      render();
    }
  } else if (mod && event.key.toLowerCase() === 'y') {
    event.preventDefault();
    if (history.redo()) {
      host.command('kp/edit', { entries: history.current, revision });
      render();
    }
  }
}

// --- rendering -----------------------------------------------------------------------------------

function render(): void {
  clear(app);
  if (!state) return;
  const entries = history.current;
  if (!view.current || !entries.some((e) => e.problem === view.current)) view.current = entries[0]?.problem ?? null;
  host.setState({ ...view, file: state.file });
  app.append(
    el('div', { class: 'toolbar' },
      el('strong', {}, state.file.split('/').pop() ?? state.file),
      el('span', { class: 'muted', id: 'dirty' }, JSON.stringify(history.current) !== JSON.stringify(state.entries) ? '● unsaved' : 'saved'),
      button('Save', 'save', () => host.command('kp/save', { entries: history.current, revision })),
      button('Undo', 'undo', () => history.undo() && (host.command('kp/edit', { entries: history.current, revision }), render())),
      button('Redo', 'redo', () => history.redo() && (host.command('kp/edit', { entries: history.current, revision }), render())),
      button(state.dataset ? 'Dataset…' : 'Link dataset…', 'link', () => host.command('kp/linkDataset', {})),
      button('Reload', 'reload', () => host.command('kp/reload', {})),
      el('span', { class: 'keys' }, '↑↓ problems · Enter add · Alt+↑↓ reorder · Ctrl+Del delete · Ctrl+Space select · Ctrl+S save · Ctrl+Z undo'),
    ),
  );
  if (state.error) app.append(el('div', { class: 'error-banner', id: 'error', role: 'alert' }, state.error));
  if (state.notice) app.append(el('div', { class: 'notice', id: 'notice', role: 'status' }, state.notice));
  if (state.fileProblems.length) app.append(el('div', { class: 'error-banner' }, ['The file has lines the editor could not read:', ...state.fileProblems].join('\n')));
  app.append(el('div', { class: 'kp' }, problemList(entries), detail(entries.find((e) => e.problem === view.current))));
  if (focusAfterRender) {
    (document.querySelector(focusAfterRender) as HTMLElement | null)?.focus();
    focusAfterRender = null;
  }
}

function problemList(entries: KpEntry[]): HTMLElement {
  const s = state!;
  const search = el('input', { type: 'text', id: 'search', placeholder: 'Search problems', value: view.search });
  search.addEventListener('input', () => {
    view.search = search.value;
    focusAfterRender = '#search';
    render();
  });
  const filter = el('select', { id: 'filter', 'aria-label': 'Filter' });
  const options: [Filter, string][] = [['all', 'All problems'], ['with', 'With knowledge points'], ['without', 'Without knowledge points'], ['selected', 'With a selected subset'], ['searched', 'With subset-search results']];
  for (const [value, label] of options) filter.append(el('option', { value, selected: view.filter === value }, label));
  filter.addEventListener('change', () => ((view.filter = filter.value as Filter), render()));
  const needle = view.search.toLowerCase();
  const shown = entries.filter((e) => {
    const text = `${e.problem}\n${s.problems[e.problem]?.text ?? ''}\n${e.points.map((p) => p.text).join('\n')}`.toLowerCase();
    if (needle && !text.includes(needle)) return false;
    if (view.filter === 'with') return e.points.length > 0;
    if (view.filter === 'without') return e.points.length === 0;
    if (view.filter === 'selected') return e.selected.length > 0;
    if (view.filter === 'searched') return s.subsets[e.problem] !== undefined;
    return true;
  });
  const list = el('ul', { role: 'listbox', id: 'problems', tabindex: 0, 'aria-label': 'Problems' });
  for (const e of shown) {
    const result = s.subsets[e.problem];
    const item = el('li', { role: 'option', 'aria-selected': String(e.problem === view.current), 'data-problem': e.problem },
      el('span', {}, e.problem),
      el('span', { class: 'stats' }, `${e.selected.length}/${e.points.length}${result ? ` · ${formatNumber(result.chosen_pass_rate, 2)}` : ''}`));
    item.addEventListener('click', () => ((view.current = e.problem), (focusAfterRender = '#problems'), render()));
    list.append(item);
  }
  list.addEventListener('keydown', (event) => {
    const index = shown.findIndex((e) => e.problem === view.current);
    const next = event.key === 'ArrowDown' ? index + 1 : event.key === 'ArrowUp' ? index - 1 : -2;
    if (next === -2) return;
    event.preventDefault();
    const target = shown[Math.max(0, Math.min(shown.length - 1, next))];
    if (target) view.current = target.problem;
    focusAfterRender = '#problems';
    render();
  });
  return el('div', { class: 'list' }, el('div', { class: 'controls' }, search, filter, el('span', { class: 'muted', id: 'shown' }, `${shown.length} of ${entries.length}`)), list);
}

function detail(entry: KpEntry | undefined): HTMLElement {
  const box = el('div', { class: 'detail' });
  if (!entry) return (box.append(el('div', { class: 'muted' }, 'No problem selected.')), box);
  const info = state!.problems[entry.problem];
  box.append(el('h3', { id: 'problem-id' }, entry.problem));
  if (info) {
    box.append(el('div', { class: 'problem-text', id: 'problem-text' }, info.text), el('div', {}, 'Answer: ', el('code', { id: 'answer' }, info.answer ?? '—')));
  } else {
    box.append(el('div', { class: 'muted' }, state!.dataset ? 'This problem id is not in the linked dataset.' : 'Link a dataset to see the problem text and answer.'));
  }
  const result = state!.subsets[entry.problem];
  const chosen = new Set(result?.chosen ?? []);
  const points = el('div', { class: 'points', id: 'points' });
  entry.points.forEach((point, index) => {
    const selected = el('input', { type: 'checkbox', checked: entry.selected.includes(point.id), 'aria-label': `select ${point.id}`, 'data-id': point.id });
    selected.addEventListener('change', () => edit((e) => toggle(e, point.id)));
    const text = el('input', { type: 'text', value: point.text, 'data-index': index, 'aria-label': `text of ${point.id}` });
    text.addEventListener('change', () => text.value.trim() && edit((e) => (e.points[index]!.text = text.value)));
    text.addEventListener('keydown', (event) => {
      const focus = (i: number): string => `#points input[type='text'][data-index='${i}']`;
      if (event.altKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown')) {
        event.preventDefault();
        const by = event.key === 'ArrowUp' ? -1 : 1;
        edit((e) => move(e, index, by), focus(Math.max(0, Math.min(entry.points.length - 1, index + by))));
      } else if ((event.ctrlKey || event.metaKey) && event.key === 'Delete') {
        event.preventDefault();
        edit((e) => remove(e, index), entry.points.length > 1 ? focus(Math.max(0, index - 1)) : '#new-point');
      } else if ((event.ctrlKey || event.metaKey) && event.key === ' ') {
        event.preventDefault();
        edit((e) => toggle(e, point.id), focus(index));
      }
    });
    points.append(
      el('div', { class: `point${chosen.has(point.id) ? ' chosen' : ''}`, 'data-id': point.id },
        selected,
        el('code', {}, point.id),
        text,
        iconButton('↑', `move ${point.id} up`, () => edit((e) => move(e, index, -1))),
        iconButton('↓', `move ${point.id} down`, () => edit((e) => move(e, index, 1))),
        iconButton('✕', `delete ${point.id}`, () => edit((e) => remove(e, index)))),
    );
  });
  const add = el('input', { type: 'text', id: 'new-point', placeholder: 'New knowledge point — Enter adds it' });
  add.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && add.value.trim()) edit((e) => e.points.push({ id: newPointId(e), text: add.value.trim() }), '#new-point');
  });
  box.append(el('h3', {}, `Knowledge points (${entry.selected.length} of ${entry.points.length} selected)`), points, add);
  if (result) box.append(subsetTable(result));
  return box;
}

function toggle(entry: KpEntry, id: string): void {
  const on = entry.selected.includes(id);
  const wanted = new Set(on ? entry.selected.filter((s) => s !== id) : [...entry.selected, id]);
  entry.selected = entry.points.map((p) => p.id).filter((p) => wanted.has(p));
}

function remove(entry: KpEntry, index: number): void {
  const [point] = entry.points.splice(index, 1);
  entry.selected = entry.selected.filter((s) => s !== point?.id);
}

function subsetTable(result: NonNullable<KpEditorState['subsets'][string]>): HTMLElement {
  const chosenKey = result.chosen.join(',');
  const table = el('table', { class: 'plain subsets', id: 'subsets' },
    el('tr', {}, el('th', {}, 'subset'), el('th', { class: 'num' }, 'pass rate'), el('th', { class: 'num' }, 'passed'), el('th', {}, 'stage')));
  for (const s of result.subsets) {
    const isChosen = s.ids.join(',') === chosenKey;
    table.append(el('tr', { class: isChosen ? 'chosen' : '' },
      el('td', {}, `${isChosen ? '★ ' : ''}{${s.ids.join(', ')}}`),
      el('td', { class: 'num' }, formatNumber(s.pass_rate, 3)),
      el('td', { class: 'num' }, `${s.passed}/${s.samples}`),
      el('td', {}, s.stage)));
  }
  const box = el('div', {}, el('h3', {}, `Subset search (target pass rate ${formatNumber(result.target, 3)})`), table);
  for (const i of result.interactions) {
    box.append(el('div', { class: 'paradox' },
      `Pruning interaction: removing ${i.removed[0]} alone (${formatNumber(i.alone[0] ?? null, 2)}) or ${i.removed[1]} alone (${formatNumber(i.alone[1] ?? null, 2)}) keeps the pass rate, removing both drops it to ${formatNumber(i.together, 2)}.`));
  }
  return box;
}

function button(label: string, id: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', { id }, label);
  b.addEventListener('click', onClick);
  return b;
}

function iconButton(label: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', { title, 'aria-label': title }, label);
  b.addEventListener('click', onClick);
  return b;
}
