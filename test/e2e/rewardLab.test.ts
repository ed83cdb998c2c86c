// Reward Lab and KP editor in a real VS Code: the CodeLens on a reward function opens the Lab with
// scores for a real run's rollouts (test/fixtures/runs/completed-tiny, recorded by the trainer);
// editing the function and saving re-scores; the KP editor's edit lands on disk.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { startSession, type Session } from './harness';

const ROOT = resolve(__dirname, '..', '..');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const RUN = join(ROOT, 'test', 'fixtures', 'runs', 'completed-tiny');

const REWARDS_V1 = 'def brittle(completions, **kwargs):\n    return [float(len(c) % 3) for c in completions]\n';
const REWARDS_V2 = 'def brittle(completions, **kwargs):\n    return [float(len(c) > 20) for c in completions]\n';

let vs: Session;
let completions: string[];

function makeWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rlstudio-lab-ws-'));
  const run = join(dir, '.rlstudio', 'runs', '20261128-023150-completed-tiny');
  mkdirSync(run, { recursive: true });
  cpSync(RUN, run, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(run, 'run.json'), JSON.stringify({ ...manifest, configPath: join(dir, 'fixture.rlstudio.yaml') }));
  writeFileSync(join(dir, 'fixture.rlstudio.yaml'), 'model:\n  name: ./model\ndata:\n  path: data.jsonl\nrewards:\n  - name: exact\n    ref: exact_answer\n');
  writeFileSync(join(dir, 'data.jsonl'), '{"question": "What is 3 + 4?", "answer": "7"}\n{"question": "What is 7 + 7?", "answer": "14"}\n');
  writeFileSync(join(dir, 'rewards.py'), REWARDS_V1);
  writeFileSync(join(dir, 'hard.kp.jsonl'), '{"problem": "q1", "points": [{"id": "kp1", "text": "Add the units."}], "selected": []}\n');
  return dir;
}

before(async () => {
  const workspace = makeWorkspace();
  const script = 'import json,sys,pyarrow.parquet as pq; print(json.dumps(pq.read_table(sys.argv[1], columns=["completion"]).column(0).to_pylist()))';
  const latest = readdirSync(join(RUN, 'rollouts')).filter((name) => name.endsWith('.parquet')).sort().at(-1)!; // what the Lab opens
  completions = JSON.parse(execFileSync(PYTHON, ['-c', script, join(RUN, 'rollouts', latest)], { encoding: 'utf8' })) as string[];
  vs = await startSession({ name: 'rewardLab', workspace, copyWorkspace: false, settings: {
      'rlstudio.pythonPath': PYTHON,
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
});

async function brittleScores(): Promise<string[]> {
  return vs.webviewFrame().locator('table.samples tbody td[data-fn="brittle"]').allInnerTexts();
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
    const length = (c: string): number => [...c].length; // Python's len: code points
    const v1 = completions.map((c) => String(length(c) % 3));
    await waitForEqual(brittleScores, v1);
    // exact_answer ran on the same rollouts with the `answer` column matched from data.jsonl
    assert.equal((await frame.locator('td[data-fn="exact"]').allInnerTexts()).length, completions.length);
    assert.match(await frame.locator('.source').innerText(), /completed-tiny/);
    await vs.screenshot('reward-lab-v1');

    await page.locator('.monaco-editor[data-uri$="rewards.py"] .view-line').nth(1).click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type(REWARDS_V2);
    await page.keyboard.press('Control+S');
    await waitForEqual(async () => readFileSync(join(vs.workspace, 'rewards.py'), 'utf8'), REWARDS_V2);
    const v2 = completions.map((c) => (length(c) > 20 ? '1' : '0'));
    await waitForEqual(brittleScores, v2);
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
