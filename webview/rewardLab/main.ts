// Reward Lab app: renders the host's state snapshot; every action is a command to the host. What it
// shows (functions, sample source, table view) is saved with setState: after a window reload the
// host re-opens it from that (see LabSavedState).

import '../shared/base.css';
import './rewardLab.css';
import type { LabFailure, LabResult, LabSavedState, LabState, RewardLabProtocol, RowFilter, TableView } from '../../src/webviews/rewardLab/protocol';
import { clear, el } from '../shared/dom';
import { HostConnection, readInitialState } from '../shared/ipc';
import { correlationTable, histograms } from './charts';
import { sampleTable } from './sampleTable';

const host = new HostConnection<RewardLabProtocol, LabSavedState>();
const app = document.getElementById('app')!;
let state: LabState | undefined = readInitialState<LabState>();
const view: TableView = host.getState()?.view ?? { sortKey: '#', descending: false, text: '', filter: 'all' };

host.onNotification('lab/state', (next) => {
  state = next;
  render();
});
host.ready();
render();

function render(): void {
  clear(app);
  if (!state) return;
  const s = state;
  host.setState({ functions: s.functions, source: s.source, view });
  const lab = el('div', { class: 'lab' });
  lab.append(toolbar(s));
  if (s.error) lab.append(el('div', { class: 'error-banner', role: 'alert' }, s.error));
  for (const warning of s.warnings) lab.append(el('div', { class: 'warning' }, warning));
  lab.append(functionsSection(s));
  if (s.source.kind === 'text') lab.append(typedSample());
  if (s.result) lab.append(...resultSections(s.result));
  lab.append(el('section', {}, el('h3', {}, 'Samples'), tableControls(), sampleTable(s, view, sortBy)));
  app.append(lab);
}

function toolbar(s: LabState): HTMLElement {
  const source = s.source;
  const bar = el(
    'div',
    { class: 'toolbar' },
    el('span', { class: 'muted' }, 'Samples:'),
    button('Run rollouts…', () => host.command('lab/chooseSource', { kind: 'run' }), 'source-run'),
    button('Dataset file…', () => host.command('lab/chooseSource', { kind: 'dataset' }), 'source-dataset'),
    button('Type a sample', () => host.command('lab/chooseSource', { kind: 'text' }), 'source-text'),
  );
  if (source.kind === 'run') {
    const select = el('select', { 'aria-label': 'Step', id: 'step' });
    for (const step of source.steps) select.append(el('option', { value: step, selected: step === source.step }, `step ${step}`));
    select.addEventListener('change', () => host.command('lab/setStep', { step: Number(select.value) }));
    bar.append(el('span', { class: 'source' }, `run ${source.runName}`), select);
  } else if (source.kind === 'dataset') {
    bar.append(el('span', { class: 'source' }, source.file));
  }
  const run = button(s.running ? 'Running…' : 'Run', () => host.command('lab/run', {}), 'run');
  run.classList.add('action');
  bar.append(run, el('span', { class: 'muted', id: 'progress' }, s.progress ?? ''));
  return bar;
}

function functionsSection(s: LabState): HTMLElement {
  const section = el('section', { class: 'functions' }, el('h3', {}, 'Reward functions'));
  for (const fn of s.functions) {
    const box = el('input', { type: 'checkbox', checked: fn.enabled, 'data-fn': fn.name });
    box.addEventListener('change', () => host.command('lab/toggleFunction', { name: fn.name, enabled: box.checked }));
    if (fn.onnx !== undefined) {
      // An exported reward model: scored with onnxruntime in VS Code's scoring process, not by the worker.
      const title = `ONNX reward model (scored with onnxruntime on prompt + completion), ${fn.origin}, weight ${fn.weight}`;
      section.append(el('label', { title, class: 'onnx' }, box, fn.name, el('span', { class: 'kind' }, 'ONNX'), el('span', { class: 'ref' }, fn.onnx)));
    } else {
      section.append(el('label', { title: `${fn.origin}, weight ${fn.weight}` }, box, fn.name, el('span', { class: 'ref' }, fn.ref)));
    }
  }
  const add = el('select', { 'aria-label': 'Add a built-in', id: 'add-builtin' }, el('option', { value: '' }, 'Add built-in…'));
  for (const name of s.builtins) add.append(el('option', { value: name }, name));
  add.addEventListener('change', () => add.value && host.command('lab/addBuiltin', { name: add.value }));
  section.append(add);
  return section;
}

function typedSample(): HTMLElement {
  const prompt = el('textarea', { id: 'typed-prompt', placeholder: 'Prompt' });
  const completion = el('textarea', { id: 'typed-completion', placeholder: 'Completion' });
  const answer = el('input', { type: 'text', id: 'typed-answer', placeholder: 'answer column (optional)' });
  const add = button('Add sample', () => host.command('lab/setText', { prompt: prompt.value, completion: completion.value, answer: answer.value }), 'typed-add');
  return el('section', { class: 'typed' }, el('h3', {}, 'Type a sample'), prompt, completion, answer, add);
}

function resultSections(result: LabResult): HTMLElement[] {
  const sections: HTMLElement[] = [];
  const diffs = [result.vsPrevious, result.vsRecorded].filter((d) => d !== null);
  if (diffs.length > 0) {
    const box = el('section', { class: 'diffs' }, el('h3', {}, result.reason === 'save' ? 'After your save' : 'Differences'));
    const previous = result.vsPrevious;
    if (previous) box.append(el('div', { class: 'diff', id: 'diff-previous' }, previous.summary, ' ', previous.lowered.length ? showLink('lowered-previous', 'show them') : null));
    const recorded = result.vsRecorded;
    if (recorded) box.append(el('div', { class: 'diff', id: 'diff-recorded' }, recorded.summary, ' ', recorded.lowered.length ? showLink('lowered-recorded', 'show them') : null));
    sections.push(box);
  }
  if (result.failures.length > 0) {
    const box = el('section', { class: 'failures' }, el('h3', {}, 'Failures'));
    for (const failure of result.failures) {
      const frames = el('div', { class: 'frames' });
      for (const frame of failure.frames) {
        const link = el('button', { class: 'link frame', title: 'Open this line' }, `${frame.file}:${frame.line} in ${frame.function}`);
        link.addEventListener('click', () => host.command('lab/openFrame', { file: frame.file, line: frame.line }));
        frames.append(link);
      }
      const where = failure.indices.length > 8 ? `${failure.indices.length} samples` : `sample${failure.indices.length > 1 ? 's' : ''} ${failure.indices.join(', ')}`;
      box.append(
        el('div', { class: 'failure', 'data-fn': failure.function, 'data-count': failure.indices.length },
          el('div', {}, el('strong', {}, failure.function), ` failed on ${where}`),
          el('div', { class: 'message' }, `${failure.error.type}: ${failure.error.message}`),
          frames,
          otherErrors(failure)),
      );
    }
    sections.push(box);
  }
  const correlations = correlationTable(result);
  sections.push(el('section', {}, el('h3', {}, 'Distributions'), histograms(result), correlations ? el('h3', {}, 'Correlation') : null, correlations));
  return sections;
}

/** A function's errors after its first, folded: one line each (at most OTHER_ERRORS). */
const OTHER_ERRORS = 50;

function otherErrors(failure: LabFailure): HTMLElement | null {
  if (failure.others.length === 0) return null;
  const list = el('ul', { class: 'other-errors' });
  for (const other of failure.others.slice(0, OTHER_ERRORS)) {
    list.append(el('li', {}, `sample ${other.indices.join(', ')}: ${other.error.type}: ${other.error.message}`));
  }
  const more = failure.others.length > OTHER_ERRORS ? el('li', { class: 'muted' }, `… and ${failure.others.length - OTHER_ERRORS} more`) : null;
  if (more) list.append(more);
  return el('details', { class: 'others' }, el('summary', {}, `${failure.others.length} more error${failure.others.length > 1 ? 's' : ''}`), list);
}

function tableControls(): HTMLElement {
  const text = el('input', { type: 'text', id: 'filter-text', placeholder: 'Filter text', value: view.text });
  text.addEventListener('change', () => update({ text: text.value }));
  const filter = el('select', { id: 'filter-rows', 'aria-label': 'Rows' });
  const options: [RowFilter, string][] = [
    ['all', 'All samples'],
    ['failed', 'Failed'],
    ['changed-previous', 'Changed since previous run'],
    ['lowered-previous', 'Lowered since previous run'],
    ['lowered-recorded', 'Lower than recorded'],
  ];
  for (const [value, label] of options) filter.append(el('option', { value, selected: view.filter === value }, label));
  filter.addEventListener('change', () => update({ filter: filter.value as RowFilter }));
  return el('div', { class: 'toolbar' }, text, filter);
}

function showLink(filter: RowFilter, label: string): HTMLElement {
  const link = el('button', { class: 'link' }, label);
  link.addEventListener('click', () => update({ filter }));
  return link;
}

function sortBy(key: string): void {
  update(view.sortKey === key ? { descending: !view.descending } : { sortKey: key, descending: key !== '#' });
}

function update(change: Partial<TableView>): void {
  Object.assign(view, change);
  render();
}

function button(label: string, onClick: () => void, id: string): HTMLButtonElement {
  const b = el('button', { id }, label);
  b.addEventListener('click', onClick);
  return b;
}
