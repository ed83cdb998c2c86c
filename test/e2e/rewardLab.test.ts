// Reward Lab and KP editor in a real VS Code: the CodeLens on a reward function opens the Lab with
// scores for a real run's rollouts (test/fixtures/runs/completed-tiny, recorded by the trainer);
// editing the function and saving re-scores; the KP editor's edit lands on disk; the Lab's run
// picker lists the Runs view's runs; both panels come back after a window reload. The run's config
// also names an ONNX reward model (`{name: rm, onnx: rm}`, test/fixtures/onnx/reward-tiny): the Lab
// lists it and scores it in the scoring process with the trainer's numbers.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { startSession, type Session } from './harness';
import { runPaths } from '../../src/runs/runFormat';
import { formatNumber } from '../../src/common/format';

const ROOT = resolve(__dirname, '..', '..');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const RUN = join(ROOT, 'test', 'fixtures', 'runs', 'completed-tiny');
const REWARD_EXPORT = join(ROOT, 'test', 'fixtures', 'onnx', 'reward-tiny');

const REWARDS_V1 = 'def brittle(completions, **kwargs):\n    return [float(len(c) % 3) for c in completions]\n';
const REWARDS_V2 = 'def brittle(completions, **kwargs):\n    return [float(len(c) > 20) for c in completions]\n';

let vs: Session;
/** The completions of the fixture's latest recorded step, and of step 2. */
let completions: string[];
let completionsAtStep2: string[];
/** What the trainer's ONNX reward (OnnxReward, onnxruntime in Python) gives the latest step's rollouts, as the table shows it. */
let rmScores: string[];
/** A folder outside the workspace, named in `rlstudio.runDirectories`, holding one run. */
const runDirectory = mkdtempSync(join(tmpdir(), 'rlstudio-lab-runs-'));

/** A copy of the fixture run under `root`, its config the workspace's. */
function copyRun(root: string, id: string, workspace: string, manifestChanges: Record<string, unknown> = {}): void {
  const run = join(root, id);
  mkdirSync(run, { recursive: true });
  cpSync(RUN, run, { recursive: true });
  const manifest = JSON.parse(readFileSync(runPaths(run).manifest, 'utf8')) as Record<string, unknown>;
  writeFileSync(runPaths(run).manifest, JSON.stringify({ ...manifest, configPath: join(workspace, 'fixture.rlstudio.yaml'), ...manifestChanges }));
}

function makeWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rlstudio-lab-ws-'));
  const config = (JSON.parse(readFileSync(runPaths(RUN).manifest, 'utf8')) as { config: { rewards: unknown[] } }).config;
  copyRun(join(dir, '.rlstudio', 'runs'), '20261128-023150-completed-tiny', dir, { config: { ...config, rewards: [...config.rewards, { name: 'rm', onnx: 'rm', weight: 1 }] } });
  cpSync(REWARD_EXPORT, join(dir, 'rm'), { recursive: true });
  // older than the workspace's run, so the CodeLens still opens the workspace's
  copyRun(runDirectory, '20260101-000000-outside', dir, { name: 'outside run', createdAt: '2026-01-01T00:00:00.000Z' });
  writeFileSync(join(dir, 'fixture.rlstudio.yaml'), 'model:\n  name: ./model\ndata:\n  path: data.jsonl\nrewards:\n  - name: exact\n    ref: exact_answer\n');
  writeFileSync(join(dir, 'data.jsonl'), '{"question": "What is 3 + 4?", "answer": "7"}\n{"question": "What is 7 + 7?", "answer": "14"}\n');
  writeFileSync(join(dir, 'rewards.py'), REWARDS_V1);
  // In the workspace's settings: code-server applies a user value of this machine-overridable setting
  // only sometimes (not in some windows after a reload), a workspace value always.
  mkdirSync(join(dir, '.vscode'));
  writeFileSync(join(dir, '.vscode', 'settings.json'), JSON.stringify({ 'rlstudio.pythonPath': PYTHON }));
  writeFileSync(join(dir, 'hard.kp.jsonl'), '{"problem": "q1", "points": [{"id": "kp1", "text": "Add the units."}], "selected": []}\n');
  return dir;
}

/** The trainer's ONNX reward function on a shard's prompts and completions. */
function trainerOnnxScores(shard: string, folder: string): number[] {
  const script = [
    'import json, sys, pyarrow.parquet as pq',
    'from rlstudio.export.onnx_reward import OnnxReward',
    't = pq.read_table(sys.argv[1], columns=["prompt", "completion"]).to_pydict()',
    'print(json.dumps(OnnxReward(sys.argv[2])(completions=t["completion"], prompts=t["prompt"])))',
  ].join('\n');
  return JSON.parse(execFileSync(PYTHON, ['-c', script, join(RUN, 'rollouts', shard), folder], { encoding: 'utf8' })) as number[];
}

function readCompletions(shard: string): string[] {
  const script = 'import json,sys,pyarrow.parquet as pq; print(json.dumps(pq.read_table(sys.argv[1], columns=["completion"]).column(0).to_pylist()))';
  return JSON.parse(execFileSync(PYTHON, ['-c', script, join(RUN, 'rollouts', shard)], { encoding: 'utf8' })) as string[];
}

before(async () => {
  const workspace = makeWorkspace();
  const latest = readdirSync(runPaths(RUN).rollouts).filter((name) => name.endsWith('.parquet')).sort().at(-1)!; // what the Lab opens
  completions = readCompletions(latest);
  rmScores = trainerOnnxScores(latest, REWARD_EXPORT).map((v) => formatNumber(v));
  completionsAtStep2 = readCompletions('step-00000002.parquet');
  vs = await startSession({ name: 'rewardLab', workspace, copyWorkspace: false, settings: {
      'rlstudio.pythonPath': PYTHON,
      'rlstudio.runDirectories': [runDirectory],
      // typed code stays exactly as typed
      'editor.autoClosingBrackets': 'never',
      'editor.autoClosingQuotes': 'never',
      'editor.autoIndent': 'none',
      'editor.acceptSuggestionOnEnter': 'off',
      'editor.quickSuggestions': { other: false, comments: false, strings: false },
    },
  });
});

after(async () => {
  await vs?.close();
  rmSync(runDirectory, { recursive: true, force: true });
});

async function brittleScores(frame: FrameLocator = vs.webviewFrame()): Promise<string[]> {
  return frame.locator('table.samples tbody td[data-fn="brittle"]').allInnerTexts();
}

const length = (c: string): number => [...c].length; // Python's len: code points
/** What REWARDS_V2 gives these completions, as the table shows it. */
const v2Scores = (texts: string[]): string[] => texts.map((c) => (length(c) > 20 ? '1' : '0'));

async function reloadWindow(): Promise<void> {
  await vs.runCommand('Developer: Reload Window');
  await vs.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
}

/** Brings an editor tab to the front (a restored webview is revived when it is shown). */
async function showTab(title: RegExp): Promise<void> {
  await vs.page.locator('.tab', { hasText: title }).first().click();
}

test('the CodeLens opens the Lab with scores for the latest run’s rollouts; saving re-scores', () =>
  vs.step('reward-lab', async () => {
    await vs.waitForActivation();
    const page = vs.page;
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget .quick-input-box input').fill('rewards.py');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'rewards.py' }).first().click();
    const lens = page.locator('.codelens-decoration a', { hasText: 'Test on Rollouts' }).first();
    await lens.waitFor({ state: 'visible', timeout: 30_000 });
    await lens.click();

    const frame = vs.webviewFrame();
    await frame.locator('table.samples tbody tr').first().waitFor({ timeout: 60_000 });
    await frame.locator('td[data-fn="brittle"]').first().waitFor({ timeout: 60_000 });
    const v1 = completions.map((c) => String(length(c) % 3));
    await waitForEqual(brittleScores, v1);
    // exact_answer ran on the same rollouts with the `answer` column matched from data.jsonl
    assert.equal((await frame.locator('td[data-fn="exact"]').allInnerTexts()).length, completions.length);
    assert.match(await frame.locator('.source').innerText(), /completed-tiny/);
    // the run's ONNX reward model: listed as such, scored in the scoring process (onnxruntime-node)
    assert.equal(await frame.locator('.functions label.onnx', { hasText: 'rm' }).locator('.kind').innerText(), 'ONNX');
    await waitForEqual(() => frame.locator('table.samples tbody td[data-fn="rm"]').allInnerTexts(), rmScores);
    await vs.screenshot('reward-lab-v1');

    await page.locator('.monaco-editor[data-uri$="rewards.py"] .view-line').nth(1).click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type(REWARDS_V2);
    await page.keyboard.press('Control+S');
    await waitForEqual(async () => readFileSync(join(vs.workspace, 'rewards.py'), 'utf8'), REWARDS_V2);
    await waitForEqual(brittleScores, v2Scores(completions));
    const lowered = completions.filter((c) => Number(length(c) > 20) < length(c) % 3).length;
    const summary = await frame.locator('#diff-previous').innerText();
    assert.match(summary, /^Against the previous run: /);
    if (lowered > 0) assert.match(summary, new RegExp(`lowers ${lowered} of ${completions.length}`));
    else assert.doesNotMatch(summary, /lowers/);
    await vs.screenshot('reward-lab-after-save');
  }));

test('the KP editor adds a knowledge point and saves it to disk', () =>
  vs.step('kp-editor', async () => {
    await vs.runCommand('RL Studio: Edit Knowledge Points');
    const frame = vs.webviewFrame();
    const input = frame.locator('#new-point');
    await input.waitFor({ timeout: 30_000 });
    await input.fill('Carry the one <b>bold</b>');
    await input.press('Enter');
    await vs.page.mouse.move(600, 700); // away from the tab, whose tooltip would cover the toolbar
    await frame.locator('#save').click();
    const file = join(vs.workspace, 'hard.kp.jsonl');
    await waitForEqual(async () => readFileSync(file, 'utf8'), '{"problem": "q1", "points": [{"id": "kp1", "text": "Add the units."}, {"id": "kp2", "text": "Carry the one <b>bold</b>"}], "selected": []}\n');
  }));

test('a concurrent change on disk is merged on save, and the user is told', () =>
  vs.step('kp-concurrent', async () => {
    const frame = vs.webviewFrame();
    const file = join(vs.workspace, 'hard.kp.jsonl');
    await frame.locator('#new-point').fill('Check the sum');
    await frame.locator('#new-point').press('Enter');
    const external = '{"problem": "q2", "points": [{"id": "e1", "text": "Written elsewhere."}], "selected": []}\n';
    writeFileSync(file, readFileSync(file, 'utf8') + external);
    await frame.locator('#notice', { hasText: 'changed on disk' }).waitFor({ timeout: 30_000 });
    await vs.page.mouse.move(600, 700);
    await frame.locator('#save').click();
    await waitForEqual(
      async () => readFileSync(file, 'utf8'),
      '{"problem": "q1", "points": [{"id": "kp1", "text": "Add the units."}, {"id": "kp2", "text": "Carry the one <b>bold</b>"}, ' +
        '{"id": "kp3", "text": "Check the sum"}], "selected": []}\n' + external,
    );
    await frame.locator('#notice', { hasText: 'merged 1 problem(s) from disk (q2)' }).waitFor({ timeout: 10_000 });
    assert.equal(await frame.locator('#shown').innerText(), '2 of 2');
  }));

test('the Lab’s run picker lists the Runs view’s runs: those of rlstudio.runDirectories, and one created while it is open', () =>
  vs.step('lab-run-picker', async () => {
    const lab = await vs.frameWith('table.samples');
    copyRun(runDirectory, '20260102-000000-later', vs.workspace, { name: 'later run', createdAt: '2026-01-02T00:00:00.000Z' });
    const rows = vs.page.locator('.quick-input-list .monaco-list-row');
    let labels: string[] = [];
    const deadline = Date.now() + 30_000; // the store finds the new run within seconds (watcher, else polling)
    while (labels.length < 3 && Date.now() < deadline) {
      if (labels.length > 0) await vs.page.keyboard.press('Escape');
      await lab.locator('#source-run').click();
      await rows.first().waitFor({ timeout: 15_000 });
      labels = await rows.allInnerTexts();
    }
    assert.equal(labels.length, 3, labels.join(' | '));
    for (const name of ['completed-tiny', 'outside run', 'later run']) assert.ok(labels.some((label) => label.includes(name)), `${name} in ${labels.join(' | ')}`);
    await rows.filter({ hasText: 'outside run' }).first().click();
    await lab.locator('.source', { hasText: 'outside run' }).waitFor({ timeout: 60_000 });
    await lab.locator('#step').selectOption('2');
    await waitForEqual(() => brittleScores(lab), v2Scores(completionsAtStep2));
    await lab.locator('th[data-key="total"]').click(); // sorted by total, descending: kept over the reload
  }));

test('after a window reload the Lab comes back on the same run and step, scored again, and the KP editor on its file', () =>
  vs.step('restore', async () => {
    // One editor group: code-server fails to load one of two webviews that reappear at the same time
    // (its resource request fails), so the panels are revived one after the other, as tabs are shown.
    await vs.runCommand('View: Join All Editor Groups');
    await showTab(/^Reward Lab/);
    await vs.frameWith('table.samples'); // loaded again: it passes the palette's keys on
    await reloadWindow();
    const lab = await vs.frameWith('table.samples', 90_000);
    assert.match(await lab.locator('.source').innerText(), /outside run/);
    assert.equal(await lab.locator('#step').inputValue(), '2');
    // results are not saved: these scores come from the worker running rewards.py again
    await waitForEqual(async () => (await brittleScores(lab)).sort(), v2Scores(completionsAtStep2).sort());
    assert.equal(await lab.locator('th[data-key="total"]').innerText(), 'total ▼');
    await vs.screenshot('restored-lab');
    await showTab(/^Knowledge Points: hard\.kp\.jsonl/);
    const kp = await vs.frameWith('#problems', 90_000);
    assert.equal(await kp.locator('#shown').innerText(), '2 of 2');
    const points = await kp.locator("#points input[type='text']").evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
    assert.deepEqual(points, ['Add the units.', 'Carry the one <b>bold</b>', 'Check the sum']);
    await vs.screenshot('restored');
  }));

test('a restored Lab and KP editor name the file that no longer exists; the KP editor reloads it when it is back', () =>
  vs.step('restore-missing', async () => {
    const kpFile = join(vs.workspace, 'hard.kp.jsonl');
    const kpText = readFileSync(kpFile, 'utf8');
    rmSync(join(vs.workspace, 'rewards.py'));
    rmSync(kpFile);
    await reloadWindow();
    await showTab(/^Reward Lab/);
    const lab = await vs.frameWith('table.samples', 90_000);
    await lab.locator('.error-banner', { hasText: `The reward file ${join(vs.workspace, 'rewards.py')} no longer exists` }).waitFor({ timeout: 90_000 });
    // the run's own reward function still runs on the restored samples
    await waitForEqual(async () => (await lab.locator('td[data-fn="exact"]').count()) === completionsAtStep2.length, true);
    assert.equal(await lab.locator('td[data-fn="brittle"]').count(), 0);
    await vs.screenshot('restored-missing-lab');
    await showTab(/^Knowledge Points: hard\.kp\.jsonl/);
    const kp = await vs.frameWith('#problems', 90_000);
    await kp.locator('#error', { hasText: `${kpFile} no longer exists` }).waitFor({ timeout: 30_000 });
    await vs.screenshot('restored-missing');
    writeFileSync(kpFile, kpText);
    await kp.locator('#shown', { hasText: '2 of 2' }).waitFor({ timeout: 30_000 });
    assert.equal(await kp.locator('#error').count(), 0);
  }));

async function waitForEqual<T>(read: () => Promise<T>, expected: T, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (JSON.stringify(last) === JSON.stringify(expected)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.deepEqual(last, expected);
}
