// The rollout inspector app. Reads top to bottom: state → layout → host messages → loading.
//   state     InspectorState, persisted with setState so a reloaded panel shows the same rollout
//   layout    toolbar (step picker, measure, toggles) · rollout list · tabs (tokens, group, stats)
//   loading   one step summary at a time; one rollout's tokens at a time

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '../shared/base.css';
import './inspector.css';
import type {
  InspectorInit,
  InspectorProtocol,
  InspectorState,
  Measure,
  InspectedRollout,
  RunSteps,
  StepRollouts,
} from '../../src/webviews/inspector/protocol';
import { HostConnection, readInitialState } from '../shared/ipc';
import { el } from '../shared/dom';
import { FilterBar, select } from './filterBar';
import { GroupView } from './groupView';
import { RolloutList, arrangeRollouts } from './rolloutList';
import { StatsView } from './statsView';
import { TokenView } from './tokenView';

// --- state ------------------------------------------------------------------------------------

const host = new HostConnection<InspectorProtocol, InspectorState>();
const init = readInitialState<InspectorInit>();
const restored = host.getState();
let state: InspectorState = { ...init!.state, ...restored };
// A state saved before the replay filter existed lacks it.
state.filter = { ...state.filter, replay: state.filter.replay ?? 'all' };
let run: RunSteps | null = init?.run ?? null;
let step: StepRollouts | null = null;
let detail: InspectedRollout | null = null;
let textMatches: Set<number> | null = null;

function update(patch: Partial<InspectorState>): void {
  state = { ...state, ...patch };
  host.setState(state);
}

// --- layout -----------------------------------------------------------------------------------

const app = document.getElementById('app')!;
const errorBanner = el('div', { class: 'error-banner', role: 'alert' });
const runLabel = el('strong', { class: 'run-name' });
const stepSelect = el('select', { 'aria-label': 'Step' });
const stepSlider = el('input', { type: 'range', min: 0, max: 0, value: 0, 'aria-label': 'Step slider' });
const followBox = el('vscode-checkbox', { label: 'Follow prompt' });
const measureSelect = select('Colour by', [
  ['entropy', 'entropy'],
  ['probability', 'probability'],
  ['advantage', 'advantage (gradient tokens)'],
  ['implicit', 'implicit reward (DPO)'],
]);
const whitespaceBox = el('vscode-checkbox', { label: 'Whitespace' });
const thinkBox = el('vscode-checkbox', { label: 'Collapse <think>' });
const markdownBox = el('vscode-checkbox', { label: 'Markdown' });
const promptSteps = el('span', { class: 'prompt-steps muted' });
const openInEditor = el('button', { class: 'link', title: 'Open this rollout as a read-only editor document with its token heat' }, 'Open in Editor');
openInEditor.addEventListener('click', () => {
  if (run && detail) {
    host.command('inspector/openInEditor', { runId: run.runId, step: detail.step, promptIndex: detail.promptIndex, groupIndex: detail.groupIndex });
  }
});

const filterBar = new FilterBar({
  sort(sort) {
    update({ sort });
    renderList();
  },
  filter(filter) {
    update({ filter: { ...state.filter, ...filter } });
    renderList();
  },
  search(text) {
    update({ filter: { ...state.filter, text } });
    void refreshSearch().then(renderList);
  },
});

const list = new RolloutList((r) => void selectRollout(r.row));
const tokenView = new TokenView();
const groupView = new GroupView((row) => {
  void selectRollout(row);
  showTab('tokens');
});
const statsView = new StatsView();

const tabs = { tokens: tokenView.element, group: groupView.element, stats: statsView.element };
const tabButtons = el('div', { class: 'tabs', role: 'tablist' });
for (const [name, label] of [
  ['tokens', 'Tokens'],
  ['group', 'Group'],
  ['stats', 'Step statistics'],
] as const) {
  const button = el('button', { role: 'tab', 'data-tab': name }, label);
  button.addEventListener('click', () => showTab(name));
  tabButtons.appendChild(button);
}

app.append(
  el(
    'div',
    { class: 'toolbar' },
    runLabel,
    el('label', {}, 'Step', stepSelect),
    stepSlider,
    followBox,
    promptSteps,
    el('label', {}, 'Colour', measureSelect),
    whitespaceBox,
    thinkBox,
    markdownBox,
    openInEditor,
  ),
  errorBanner,
  el(
    'div',
    { class: 'main' },
    el(
      'div',
      { class: 'left' },
      filterBar.element,
      list.element,
    ),
    el('div', { class: 'right' }, tabButtons, el('div', { class: 'tab-body' }, ...Object.values(tabs))),
  ),
);

function syncControls(): void {
  measureSelect.value = state.measure;
  filterBar.sync(state);
  setChecked(followBox, state.followPrompt);
  setChecked(whitespaceBox, state.showWhitespace);
  setChecked(thinkBox, state.collapseThink);
  setChecked(markdownBox, state.markdown);
}

function setChecked(box: HTMLElement, checked: boolean): void {
  (box as unknown as { checked: boolean }).checked = checked;
}
function isChecked(box: HTMLElement): boolean {
  return (box as unknown as { checked: boolean }).checked;
}

function showTab(tab: InspectorState['tab']): void {
  update({ tab });
  for (const [name, element] of Object.entries(tabs)) element.hidden = name !== tab;
  for (const button of tabButtons.querySelectorAll<HTMLElement>('[data-tab]')) {
    button.setAttribute('aria-selected', String(button.dataset.tab === tab));
  }
  void refreshTab();
}

// --- controls ---------------------------------------------------------------------------------

stepSelect.addEventListener('change', () => void loadStep(Number(stepSelect.value)));
stepSlider.addEventListener('input', () => {
  const s = run?.steps[Number(stepSlider.value)];
  if (s !== undefined) void loadStep(s);
});
measureSelect.addEventListener('change', () => {
  update({ measure: measureSelect.value as Measure });
  renderTokens();
});
for (const [box, key] of [
  [whitespaceBox, 'showWhitespace'],
  [thinkBox, 'collapseThink'],
  [markdownBox, 'markdown'],
] as const) {
  box.addEventListener('change', () => {
    update({ [key]: isChecked(box) });
    renderTokens();
  });
}
followBox.addEventListener('change', () => {
  update({ followPrompt: isChecked(followBox) });
  void showPromptSteps();
});

// --- host messages ----------------------------------------------------------------------------

host.onNotification('inspector/steps/didChange', (steps) => {
  const first = run?.runId !== steps.runId;
  run = steps;
  renderSteps();
  if (first || (state.step === null && steps.steps.length > 0)) {
    void loadStep(state.step ?? steps.steps.at(-1)!);
  }
});
host.onNotification('inspector/show', ({ runId, step: s, row }) => {
  update({ runId, row: row ?? null });
  void (async () => {
    if (run?.runId !== runId) {
      run = await guard(host.request('inspector/run/get', { runId }));
      renderSteps();
    }
    await loadStep(s, row);
  })();
});

// --- loading ----------------------------------------------------------------------------------

async function guard<T>(promise: Promise<T>): Promise<T | null> {
  try {
    const value = await promise;
    errorBanner.textContent = '';
    return value;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    errorBanner.textContent = message;
    host.command('inspector/log/error', { message });
    return null;
  }
}

function renderSteps(): void {
  runLabel.textContent = run ? run.runName : 'No run';
  stepSelect.replaceChildren(...(run?.steps ?? []).map((s) => el('option', { value: s }, String(s))));
  stepSlider.max = String(Math.max(0, (run?.steps.length ?? 1) - 1));
  if (state.step !== null) {
    stepSelect.value = String(state.step);
    stepSlider.value = String(Math.max(0, run?.steps.indexOf(state.step) ?? 0));
  }
  if (run && run.steps.length === 0) {
    tokenView.clear('This run has no recorded rollouts yet. They appear here as the trainer writes them.');
  }
}

async function loadStep(s: number, row?: number): Promise<void> {
  if (!run) return;
  const previousPrompt = detail && step ? step.prompts[detail.promptIndex] : undefined;
  const previousGroupIndex = detail?.groupIndex;
  update({ step: s });
  stepSelect.value = String(s);
  stepSlider.value = String(Math.max(0, run.steps.indexOf(s)));
  const data = await guard(host.request('rollouts/step/get', { runId: run.runId, step: s }));
  if (!data || state.step !== s) return;
  step = data;
  await refreshSearch();
  renderList();

  let target = row ?? (state.row !== null && data.rollouts[state.row] ? state.row : null);
  if (row === undefined && state.followPrompt && previousPrompt !== undefined) {
    const same = data.rollouts.filter((r) => data.prompts[r.promptIndex] === previousPrompt);
    const pick = same.find((r) => r.groupIndex === previousGroupIndex) ?? same[0];
    target = pick ? pick.row : target;
    if (!pick) errorBanner.textContent = `The followed prompt is not in step ${s}.`;
  }
  target ??= data.rollouts[0]?.row ?? null;
  if (target !== null) {
    await selectRollout(target);
  } else {
    tokenView.clear(`Step ${s} has no rollouts.`);
  }
}

async function refreshSearch(): Promise<void> {
  if (!run || !step || state.filter.text.trim() === '') {
    textMatches = null;
    return;
  }
  const rows = await guard(host.request('rollouts/step/search', { runId: run.runId, step: step.step, text: state.filter.text }));
  textMatches = rows ? new Set(rows) : null;
}

function renderList(): void {
  if (!step) return;
  list.setRows(arrangeRollouts(step, state.sort, state.filter, textMatches), step.rewardNames, state.row);
  filterBar.showCount(list.count, step.rollouts.length);
}

async function selectRollout(row: number): Promise<void> {
  if (!run || !step) return;
  update({ row });
  list.select(row, false);
  const s = step.step;
  const data = await guard(host.request('rollouts/rollout/get', { runId: run.runId, step: s, row }));
  if (!data || state.row !== row || state.step !== s) return;
  detail = data;
  await refreshTab();
  void showPromptSteps();
}

function renderTokens(): void {
  if (detail) {
    tokenView.show(detail, state);
  }
}

let statsShown = '';

async function refreshTab(): Promise<void> {
  if (!run || !step) return;
  if (state.tab === 'tokens') {
    renderTokens();
  } else if (state.tab === 'group' && detail) {
    const { promptIndex } = detail;
    const completions = await guard(host.request('rollouts/group/get', { runId: run.runId, step: step.step, promptIndex }));
    if (completions) groupView.show(step.prompts[promptIndex] ?? '', completions, state.row);
  } else if (state.tab === 'stats' && statsShown !== `${run.runId}\n${step.step}`) {
    statsView.clear('Reading the step’s tokens…');
    const s = step.step;
    const stats = await guard(host.request('rollouts/step/stats', { runId: run.runId, step: s }));
    if (stats && state.step === s) {
      statsView.show(s, stats);
      statsShown = `${run.runId}\n${s}`;
    }
  }
}

/** With "follow prompt", lists the recorded steps whose shard has the selected prompt. */
async function showPromptSteps(): Promise<void> {
  promptSteps.replaceChildren();
  if (!state.followPrompt || !run || !step || !detail) return;
  const prompt = step.prompts[detail.promptIndex];
  if (prompt === undefined) return;
  const steps = await guard(host.request('rollouts/prompt/steps', { runId: run.runId, prompt }));
  if (!steps) return;
  promptSteps.append('in steps: ');
  for (const s of steps) {
    const button = el('button', { class: 'link', 'data-step': s }, String(s));
    button.addEventListener('click', () => void loadStep(s));
    promptSteps.append(button, ' ');
  }
}

// --- start ------------------------------------------------------------------------------------

syncControls();
renderSteps();
showTab(state.tab);
host.ready();
void (async () => {
  if (restored && state.runId) {
    // A reloaded page: the inlined list of steps may be old.
    run = (await guard(host.request('inspector/run/get', { runId: state.runId }))) ?? run;
    renderSteps();
  }
  if (run && run.steps.length > 0) {
    await loadStep(state.step !== null && run.steps.includes(state.step) ? state.step : run.steps.at(-1)!);
  }
})();
