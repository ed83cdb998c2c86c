// Compare Checkpoints: the app. One eval of a run at a time: its pass@k curves, a summary table with
// paired statistics against a reference checkpoint, the per-prompt matrix, and the samples of the
// opened prompt side by side. State (eval, reference, filters, prompt) survives a reload.

import '../shared/base.css';
import './compare.css';
import type { CompareInit, CompareProtocol, CompareSnapshot, CompareState, MatrixFilter, SampleMeasure } from '../../src/webviews/compare/protocol';
import { DEFAULT_COMPARE_STATE } from '../../src/webviews/compare/protocol';
import { el } from '../shared/dom';
import { HostConnection, readInitialState } from '../shared/ipc';
import { CurvesView } from './curves';
import { buildMatrix, queryRows, type Matrix } from './matrixModel';
import { MatrixView } from './matrixView';
import { SamplesView } from './samplesView';
import { summaryTable } from './summaryTable';

const FILTERS: [MatrixFilter, string][] = [
  ['all', 'All prompts'],
  ['regressed', 'Regressed (lower pass@1)'],
  ['improved', 'Improved (higher pass@1)'],
  ['shrink', 'Solved only by the reference (boundary shrink)'],
  ['expansion', 'Solved only by the compared checkpoint (boundary expansion)'],
  ['never', 'Never solved'],
];
const MEASURES: [SampleMeasure, string][] = [
  ['entropy', 'entropy'],
  ['probability', 'probability'],
  ['deltaLogprob', 'Δlogprob (cross-scores)'],
];

const conn = new HostConnection<CompareProtocol, CompareState>();
const init = readInitialState<CompareInit>();
let state: CompareState = { ...DEFAULT_COMPARE_STATE, ...init?.state, ...conn.getState() };
let snapshot: CompareSnapshot | null = init?.snapshot ?? null;
let matrix: Matrix | null = null;
let matrixOf: CompareSnapshot['view'] = null;
let detailRequest = 0;

// --- layout --------------------------------------------------------------------------------------

const app = document.getElementById('app')!;
const evalSelect = el('select', { 'aria-label': 'Evaluation' });
const newButton = el('button', { class: 'button', type: 'button' }, 'New Evaluation…');
const stopButton = el('button', { class: 'button secondary', type: 'button', hidden: true }, 'Stop');
const referenceSelect = el('select', { 'aria-label': 'Reference checkpoint' });
const targetSelect = el('select', { 'aria-label': 'Compared checkpoint' });
const status = el('div', { class: 'status muted', 'aria-live': 'polite' });
const banners = el('div', { class: 'banners' });
const curves = new CurvesView();
const summary = el('section', { class: 'summary-box', 'aria-label': 'Summary' });
const filterSelect = el('select', { 'aria-label': 'Filter prompts' }, ...FILTERS.map(([v, label]) => el('option', { value: v }, label)));
const search = el('input', { type: 'text', placeholder: 'Search prompts', 'aria-label': 'Search prompts' });
const rowCount = el('span', { class: 'muted' });
const measureSelect = el('select', { 'aria-label': 'Token colour' }, ...MEASURES.map(([v, label]) => el('option', { value: v }, label)));
const matrixView = new MatrixView({ open: (id) => openPrompt(id), sort: (column) => sortBy(column) });
const samples = new SamplesView();
const results = el('div', { class: 'results' });

app.append(
  el(
    'div',
    { class: 'toolbar' },
    el('label', {}, 'Evaluation ', evalSelect),
    newButton,
    stopButton,
    el('label', {}, 'Reference ', referenceSelect),
    el('label', {}, 'Compare ', targetSelect),
  ),
  status,
  banners,
  results,
);
results.append(
  el('div', { class: 'overview' }, curves.element, summary),
  el('div', { class: 'toolbar' }, el('label', {}, 'Show ', filterSelect), search, rowCount),
  matrixView.element,
  el('div', { class: 'toolbar' }, el('label', {}, 'Token colour ', measureSelect)),
  samples.element,
);

evalSelect.addEventListener('change', () => {
  update({ evalId: evalSelect.value, promptId: null });
  samples.element.replaceChildren();
  conn.command('compare/eval/select', { evalId: evalSelect.value });
});
newButton.addEventListener('click', () => conn.command('compare/eval/new', {}));
stopButton.addEventListener('click', () => state.evalId && conn.command('compare/eval/stop', { evalId: state.evalId }));
referenceSelect.addEventListener('change', () => (update({ reference: referenceSelect.value }), render()));
targetSelect.addEventListener('change', () => (update({ target: targetSelect.value }), render()));
filterSelect.addEventListener('change', () => (update({ filter: filterSelect.value as MatrixFilter }), renderMatrix()));
search.addEventListener('input', () => (update({ search: search.value }), renderMatrix()));
measureSelect.addEventListener('change', () => {
  update({ measure: measureSelect.value as SampleMeasure });
  if (state.promptId !== null) void openPrompt(state.promptId);
});

function update(patch: Partial<CompareState>): void {
  state = { ...state, ...patch };
  conn.setState(state);
}

// --- rendering -----------------------------------------------------------------------------------

function render(): void {
  const s = snapshot;
  banners.replaceChildren();
  if (!s) {
    status.textContent = 'Loading…';
    results.hidden = true;
    return;
  }
  if (s.runMissing) banners.appendChild(el('div', { class: 'error-banner' }, `The run ${s.runName} no longer exists (its folder was deleted or moved). Nothing more can be read.`));
  for (const p of s.problems) banners.appendChild(el('div', { class: 'error-banner' }, `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`));
  evalSelect.replaceChildren(...s.evals.map((e) => el('option', { value: e.id, selected: e.id === s.view?.manifest.id }, `${e.name} · ${e.status} · ${e.id}`)));
  if (!s.evals.length) evalSelect.appendChild(el('option', { value: '' }, 'no evaluations yet'));
  newButton.hidden = !s.canStart;
  const view = s.view;
  stopButton.hidden = view?.manifest.status !== 'running' || !s.canStart;
  if (!view) {
    status.textContent = s.runMissing ? '' : `${s.runName} has no evaluation yet.${s.canStart ? ' Start one with "New Evaluation…".' : ''}`;
    results.hidden = true;
    return;
  }
  if (view !== matrixOf) {
    matrix = buildMatrix(view);
    matrixOf = view;
  }
  const m = matrix!;
  const checkpoints = m.checkpoints;
  const reference = checkpoints.includes(state.reference ?? '') ? state.reference! : checkpoints.includes('base') ? 'base' : (checkpoints[0] ?? '');
  const target = checkpoints.includes(state.target ?? '') && state.target !== reference ? state.target! : ([...checkpoints].reverse().find((c) => c !== reference) ?? reference);
  if (reference !== state.reference || target !== state.target) update({ reference, target });
  referenceSelect.replaceChildren(...checkpoints.map((c) => el('option', { value: c, selected: c === reference }, c)));
  targetSelect.replaceChildren(...checkpoints.map((c) => el('option', { value: c, selected: c === target }, c)));
  status.replaceChildren(statusLine(view));
  if (view.manifest.error) banners.appendChild(el('div', { class: 'error-banner' }, `The evaluation failed: ${view.manifest.error}`));
  for (const c of view.manifest.checkpoints) if (c.error) banners.appendChild(el('div', { class: 'error-banner' }, `${c.name}: ${c.error}`));
  const summaryData = view.summary;
  results.hidden = !summaryData || checkpoints.length === 0;
  if (!summaryData || checkpoints.length === 0) return;
  curves.show(summaryData, checkpoints);
  summary.replaceChildren(summaryTable(summaryData, m, reference));
  filterSelect.value = state.filter;
  search.value = state.search;
  measureSelect.value = state.measure;
  renderMatrix();
}

function statusLine(view: NonNullable<CompareSnapshot['view']>): HTMLElement {
  const m = view.manifest;
  const p = m.params;
  const progress = m.checkpoints.map((c) => `${c.name} ${c.status === 'running' ? `${c.samplesDone}/${c.samplesTotal}` : c.status}`).join(' · ');
  const solved = m.passWhen ? `solved: ${m.passWhen.reward} ≥ ${m.passWhen.atLeast}${m.passWhen.chosenBy === 'default' ? ' (default)' : ''}` : '';
  return el(
    'span',
    {},
    `${m.status} · ${p.prompts ?? view.prompts.length} prompts × ${p.samples ?? '?'} samples · temperature ${p.temperature ?? '?'} · prompts: ${m.promptSource}${solved ? ` · ${solved}` : ''} · ${progress}`,
  );
}

function renderMatrix(): void {
  if (!matrix) return;
  const rows = queryRows(matrix, { filter: state.filter, search: state.search, sort: state.sort, reference: state.reference ?? '', target: state.target ?? '' });
  rowCount.textContent = `${rows.length} of ${matrix.rows.length} prompts`;
  matrixView.show(matrix, rows, { reference: state.reference ?? '', target: state.target ?? '', sort: state.sort, selected: state.promptId });
  if (state.promptId !== null && samples.element.childElementCount === 0) void openPrompt(state.promptId);
}

function sortBy(column: string): void {
  const descending = state.sort.column === column ? !state.sort.descending : column !== 'prompt' && column !== 'text';
  update({ sort: { column, descending } });
  renderMatrix();
}

async function openPrompt(promptId: number): Promise<void> {
  const s = snapshot;
  const view = s?.view;
  if (!s || !view || !matrix) return;
  update({ promptId });
  const id = ++detailRequest;
  samples.element.replaceChildren(el('p', { class: 'muted' }, `Loading prompt ${promptId}…`));
  try {
    const detail = await conn.request('compare/prompt/get', { runId: s.runId, evalId: view.manifest.id, promptId });
    if (id !== detailRequest) return;
    const evalId = view.manifest.id;
    const score = s.canStart ? (checkpoint: string, scorer: string) => conn.command('compare/eval/score', { evalId, checkpoint, scorer }) : undefined;
    const open = (checkpoint: string, sample: number) => conn.command('compare/sample/open', { evalId, checkpoint, promptId, sample });
    samples.show(detail, { checkpoints: matrix.checkpoints, measure: state.measure, reference: state.reference ?? '', target: state.target ?? '', score, open });
  } catch (error) {
    if (id !== detailRequest) return;
    const message = error instanceof Error ? error.message : String(error);
    samples.element.replaceChildren(el('div', { class: 'error-banner' }, message));
    conn.command('compare/log/error', { message: `prompt ${promptId}: ${message}` });
  }
}

conn.onNotification('compare/snapshot/didChange', (next) => {
  const scores = (v: CompareSnapshot['view']) => JSON.stringify(v?.crossScores ?? []);
  const newScores = scores(next.view) !== scores(snapshot?.view ?? null);
  const switched = snapshot !== null && next.view?.manifest.id !== snapshot.view?.manifest.id;
  snapshot = next;
  // The panel may have been pointed at another run: a reload must bring back this one.
  if (next.runId !== state.runId || next.runDir !== state.runDir) update({ runId: next.runId, runDir: next.runDir });
  if (switched) {
    // Another eval (picked, or one just started): its prompts are other samples.
    update({ promptId: null });
    samples.element.replaceChildren();
  } else if (newScores && state.promptId !== null) void openPrompt(state.promptId);
  if (next.view && next.view.manifest.id !== state.evalId) update({ evalId: next.view.manifest.id });
  render();
});

render();
performance.mark('compare-rendered');
conn.ready();
